#!/usr/bin/env node
// Runs the TypeScript CLI directly: Node 22.18 and later strip types natively.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `hookpipe needs Node.js 22.18 or newer (this is ${process.version}); run it with \`npx hookpipe\` in the repository after \`npm install\`, which brings its own Node 22.\n`,
  );
  process.exit(1);
}
await import('../cli/src/main.ts');
