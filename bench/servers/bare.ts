// The limit: node:http answering 202 after reading the body, with no verification and no publish.
import { createServer } from 'node:http';

const server = createServer((request, response) => {
  request.on('data', () => {});
  request.on('end', () => {
    response.writeHead(202, { 'content-type': 'application/json' });
    response.end('{"accepted":true}');
  });
});
server.keepAliveTimeout = 620_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ message: 'listening', port: typeof address === 'object' && address ? address.port : 0 }));
});
