// The sandbox's corporate CA: mock mode stands it in for the PKI that
// certified a release key, as the sandbox key stands in for the key. Its root
// is made once per sandbox (so re-runs and `orel verify` agree); each run
// certifies the sandbox key with the real certificate's names.
import { X509Certificate as NodeX509, createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509's dependency injection needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface SandboxCa {
  /** The root CA certificate (PEM): the whole chain of sandbox certificates. */
  rootPem: string;
  /** A code-signing certificate for `publicKey` with the subject and SANs of `like` (the real certificate), valid for a day. */
  certify(publicKey: KeyObject, like?: { subject: string; subjectAltName?: string }): Promise<string>;
}

/**
 * Writes `file` (mode 0600) unless it exists: concurrent runs race with
 * link(), which publishes a whole file or fails, so one wins and every run
 * reads the winner. True when this call's bytes won.
 */
export async function writeOnce(file: string, bytes: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, bytes, { mode: 0o600 });
  try {
    return await link(tmp, file).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
        return false;
      },
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

async function makeRoot(): Promise<{ keyPem: string; certPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'O=orel sandbox, CN=orel sandbox corporate CA',
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * YEAR_MS),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), certPem: cert.toString('pem') };
}

/** "email:a@b, URI:https://x" (node's subjectAltName) as @peculiar/x509 names. */
function altNames(san: string | undefined): x509.JsonGeneralName[] {
  const types: Record<string, x509.GeneralNameType> = { email: 'email', URI: 'url', DNS: 'dns' };
  return (san ?? '')
    .split(/,\s*/)
    .map((part) => /^(email|URI|DNS):(.+)$/.exec(part.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ type: types[m[1]], value: m[2] }));
}

/** The sandbox CA under `sandboxDir` (made on first use). */
export async function sandboxCa(sandboxDir: string): Promise<SandboxCa> {
  const dir = join(sandboxDir, 'keys', 'ca');
  // Certificate and key in one file, written once: no run sees one without the other.
  const file = join(dir, 'root.pem');
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    const made = await makeRoot();
    await writeOnce(file, `${made.certPem.trimEnd()}\n${made.keyPem.trimEnd()}\n`);
  }
  const text = await readFile(file, 'utf8');
  const rootPem = new NodeX509(text).toString();
  const rootKey = await webcrypto.subtle.importKey('pkcs8', createPrivateKey(text).export({ type: 'pkcs8', format: 'der' }), EC, false, ['sign']);
  const root = new x509.X509Certificate(rootPem);
  return {
    rootPem,
    async certify(publicKey, like) {
      const spki = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
      const leafKey = await webcrypto.subtle.importKey('spki', spki.export({ type: 'spki', format: 'der' }), EC, true, ['verify']);
      const names = altNames(like?.subjectAltName);
      const now = Date.now();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
        subject: like?.subject ? like.subject.split('\n').join(', ') : 'CN=orel sandbox signer',
        issuer: root.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 24 * 3600_000),
        publicKey: leafKey,
        signingKey: rootKey,
        signingAlgorithm: EC,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([CODE_SIGNING], false),
          ...(names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
          await x509.AuthorityKeyIdentifierExtension.create(root, false),
        ],
      });
      return new NodeX509(cert.toString('pem')).toString();
    },
  };
}
