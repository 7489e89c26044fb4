// A corporate PKI for tests, made the way a CA team makes one: with the
// openssl CLI. A root, an intermediate that issues code-signing
// certificates, and leaf certificates for given keys. Nothing here is orel
// code, so what orel accepts or refuses is judged against openssl's view.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why openssl-made CAs cannot be had here (for a test's skip), or undefined. */
export function opensslMissing(): string | undefined {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'openssl is not installed (apt-get install openssl)';
}

export interface TestCa {
  dir: string;
  /** PEM files. */
  root: string;
  intermediate: string;
  /** Intermediate then root: what a signer presents and cosign's --certificate-chain takes. */
  chain: string;
  /** A code-signing certificate from the intermediate for the PEM public or private key `keyFile`. */
  issue(name: string, keyFile: string, opts?: LeafOptions): string;
}

export interface LeafOptions {
  /** subjectAltName, openssl syntax (default email:release@example.com). */
  san?: string;
  /** extendedKeyUsage (default codeSigning; "" for none). */
  eku?: string;
  /** Days of validity from now (default 30). */
  days?: number;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

const ext = (dir: string, name: string, lines: string[]): string => {
  const file = join(dir, `${name}.ext`);
  writeFileSync(file, lines.filter(Boolean).join('\n') + '\n');
  return file;
};

/** A new EC P-256 private key (PKCS#8 PEM) at dir/name. */
export function makeKey(dir: string, name: string): string {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name], dir);
  return join(dir, name);
}

/** Root and intermediate in `dir`, named after `org`. */
export function makeCa(dir: string, org = 'Example Corp'): TestCa {
  mkdirSync(dir, { recursive: true });
  makeKey(dir, 'root.key');
  openssl(['req', '-x509', '-new', '-key', 'root.key', '-subj', `/O=${org}/CN=${org} Root CA`, '-days', '3650', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'root.pem'], dir);
  makeKey(dir, 'intermediate.key');
  openssl(['req', '-new', '-key', 'intermediate.key', '-subj', `/O=${org}/CN=${org} Code Signing CA`, '-out', 'intermediate.csr'], dir);
  const intExt = ext(dir, 'intermediate', ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid']);
  openssl(['x509', '-req', '-in', 'intermediate.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1825', '-sha256', '-extfile', intExt, '-out', 'intermediate.pem'], dir);
  writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dir, 'intermediate.pem'), 'utf8') + readFileSync(join(dir, 'root.pem'), 'utf8'));
  return {
    dir,
    root: join(dir, 'root.pem'),
    intermediate: join(dir, 'intermediate.pem'),
    chain: join(dir, 'chain.pem'),
    issue(name, keyFile, o = {}) {
      const pub = join(dir, `${name}.pub.pem`);
      openssl(['pkey', '-in', keyFile, '-pubout', '-out', pub], dir);
      const leafExt = ext(dir, name, [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        o.eku === '' ? '' : `extendedKeyUsage=${o.eku ?? 'codeSigning'}`,
        `subjectAltName=${o.san ?? 'email:release@example.com'}`,
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
      ]);
      const out = join(dir, `${name}.pem`);
      // -force_pubkey: the CA certifies the key it was given, with no CSR (openssl x509 -new).
      openssl(['x509', '-new', '-subj', `/O=Example Corp/CN=${name}`, '-force_pubkey', pub, '-CA', 'intermediate.pem', '-CAkey', 'intermediate.key',
        '-days', String(o.days ?? 30), '-sha256', '-extfile', leafExt, '-out', out], dir);
      return out;
    },
  };
}
