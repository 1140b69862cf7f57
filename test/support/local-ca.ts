// A certificate chain made at test time, for the providers whose keys come in certificates (SNS): a root, an
// intermediate and a leaf issued to the names asked, made with `openssl` (Node's crypto verifies certificates but
// cannot make them). Every key is generated for the run and written only to a temporary directory, removed at once;
// no private key is ever committed.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalChain {
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  /** The leaf's private key: what the provider signs with. */
  leafKey: KeyObject;
}

export interface ChainOptions {
  /** DNS names of the leaf. */
  names: readonly string[];
  /** The leaf's "CA Issuers" URL, where its intermediate is to be fetched. */
  issuerUrl?: string;
  /** Told apart in subjects, so two chains never share a name. */
  label: string;
}

const privateKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

export function makeChain(options: ChainOptions): LocalChain {
  const dir = mkdtempSync(join(tmpdir(), 'hookpipe-ca-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const keys = { root: privateKey(), intermediate: privateKey(), leaf: privateKey() };
    for (const [name, key] of Object.entries(keys)) writeFileSync(path(`${name}.key`), key.export({ type: 'pkcs8', format: 'pem' }));
    const ca = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'];
    /** `openssl <args>` making a certificate valid 30 days, written to `<name>.pem`. */
    const certificate = (name: string, ...args: string[]) => openssl(...args, '-days', '30', '-out', path(`${name}.pem`));
    const extensions = ca.flatMap((extension) => ['-addext', extension]);
    certificate(
      'root',
      'req',
      '-x509',
      '-new',
      '-key',
      path('root.key'),
      '-subj',
      `/CN=hookpipe test root ${options.label}`,
      ...extensions,
    );

    const issue = (name: 'intermediate' | 'leaf', issuer: 'root' | 'intermediate', subject: string, extensions: string[]) => {
      writeFileSync(path(`${name}.ext`), `${extensions.join('\n')}\n`);
      openssl('req', '-new', '-key', path(`${name}.key`), '-subj', subject, '-out', path(`${name}.csr`));
      const authority = ['-CA', path(`${issuer}.pem`), '-CAkey', path(`${issuer}.key`), '-set_serial', String(Date.now())];
      certificate(name, 'x509', '-req', '-in', path(`${name}.csr`), ...authority, '-extfile', path(`${name}.ext`));
    };
    issue('intermediate', 'root', `/CN=hookpipe test intermediate ${options.label}`, [...ca, 'authorityKeyIdentifier=keyid']);
    issue('leaf', 'intermediate', `/CN=${options.names[0]}`, [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'authorityKeyIdentifier=keyid',
      `subjectAltName=${options.names.map((name) => `DNS:${name}`).join(',')}`,
      ...(options.issuerUrl ? [`authorityInfoAccess=caIssuers;URI:${options.issuerUrl}`] : []),
    ]);
    const read = (name: string) => readFileSync(path(`${name}.pem`), 'utf8');
    return { rootPem: read('root'), intermediatePem: read('intermediate'), leafPem: read('leaf'), leafKey: keys.leaf };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
