// A key (file, KMS, PKCS#11) that an existing PKI certified: its signatures
// carry the CA-issued certificate and chain (bundle x509CertificateChain,
// <file>.cert) the way keyless ones carry Fulcio's. Certificate, chain and
// key are checked against each other before anything is signed.
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { OrelError, type HashAlgorithm, type KeyMaterial, type SignatureResult, type Signer } from '@orel/core';
import { parsePemBlocks } from './keys.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** Every CERTIFICATE block of a PEM text, parsed; `file` names it in errors. */
export function parseCertificates(text: string, file: string): X509Certificate[] {
  const blocks = parsePemBlocks(text).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) throw new OrelError('KEY_INVALID', `${file}: no PEM CERTIFICATE block`, { hint: 'give the PEM file your CA issued (-----BEGIN CERTIFICATE-----)' });
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b.der);
    } catch (e) {
      throw new OrelError('KEY_INVALID', `${file}: certificate ${i + 1} does not parse: ${(e as Error).message}`, { cause: e });
    }
  });
}

/** A certificate's subject on one line ("O=Example, CN=Root"). */
export const subjectOf = (c: X509Certificate): string => c.subject.replace(/\n/g, ', ');

function validityProblem(c: X509Certificate, at: Date, what: string): string | undefined {
  if (Date.parse(c.validFrom) > at.getTime()) return `${what} (${subjectOf(c)}) is not valid before ${new Date(c.validFrom).toISOString()}`;
  if (Date.parse(c.validTo) < at.getTime()) return `${what} (${subjectOf(c)}) expired on ${new Date(c.validTo).toISOString()}`;
  return undefined;
}

/**
 * What keeps `leaf` from being a code-signing certificate issued through
 * `chain` (intermediates first, self-signed root last) at `at`: validity,
 * the codeSigning extended key usage verifiers require, each signature up
 * the chain, CA flags. Empty: sound. Pure; the caller names the files.
 */
export function chainProblems(leaf: X509Certificate, chain: X509Certificate[], at = new Date()): string[] {
  const problems: string[] = [];
  const v = validityProblem(leaf, at, 'the certificate');
  if (v) problems.push(v);
  if (leaf.ca) problems.push(`the certificate (${subjectOf(leaf)}) is a CA certificate, not one issued to a signer`);
  if (!(leaf.keyUsage ?? []).includes(CODE_SIGNING)) problems.push(`the certificate (${subjectOf(leaf)}) lacks the codeSigning extended key usage that cosign and Sigstore verifiers require`);
  let child = leaf;
  for (const [i, parent] of chain.entries()) {
    const what = i === chain.length - 1 ? 'the root' : `intermediate ${i + 1}`;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      problems.push(`${subjectOf(child)} is not signed by ${what} of the chain (${subjectOf(parent)}): list the chain from the issuing CA up to the root`);
      return problems;
    }
    if (!parent.ca) problems.push(`${what} of the chain (${subjectOf(parent)}) is not a CA certificate`);
    const pv = validityProblem(parent, at, what);
    if (pv) problems.push(pv);
    child = parent;
  }
  const root = chain[chain.length - 1];
  if (!root) problems.push('the chain is empty: it must end with the root CA');
  else if (!isSelfSigned(root)) problems.push(`the chain ends with ${subjectOf(root)}, which is not self-signed: end it with the root CA`);
  return problems;
}

const spki = (key: string | KeyObject): string => (typeof key === 'string' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' }).toString('hex');

/** Whether a certificate is its own issuer (a root CA). */
export const isSelfSigned = (c: X509Certificate): boolean => c.checkIssued(c) && c.verify(c.publicKey);

export interface CertifySpec {
  /** PEM texts, and the file names that stand for them in messages. */
  certificate: { pem: string; file: string };
  chain: { pem: string; file: string };
}

/**
 * Wraps `signer` so each signature presents the certificate and chain.
 * Refuses (KEY_INVALID) a certificate for another key, an unsound chain or
 * one not valid now: a release cannot be signed with what verifiers reject.
 */
export async function certifySigner(signer: Signer, spec: CertifySpec): Promise<Signer> {
  const { leaf, chain } = checkCertified(spec);
  const keyPem = await signer.publicKeyPem?.();
  if (!keyPem) throw new OrelError('KEY_INVALID', `${signer.ref}: its public key cannot be read, so ${spec.certificate.file} cannot be matched to it`);
  if (spki(keyPem) !== spki(leaf.publicKey)) {
    throw new OrelError('KEY_INVALID', `${spec.certificate.file} certifies another key than ${signer.ref}'s; nothing was signed`, {
      hint: 'give the certificate the CA issued for this very key (compare openssl x509 -pubkey with the signer\'s public key)',
    });
  }
  return new CertifiedSigner(signer, leaf.toString(), chain.map((c) => c.toString()), subjectOf(chain[chain.length - 1]));
}

/**
 * The certificate and its chain, parsed and sound now (KEY_INVALID naming
 * the files and every problem otherwise). Mock mode checks the real files
 * with it, so a rehearsal fails where the real run would.
 */
export function checkCertified(spec: CertifySpec): { leaf: X509Certificate; chain: X509Certificate[] } {
  const [leaf, ...extra] = parseCertificates(spec.certificate.pem, spec.certificate.file);
  if (extra.length) throw new OrelError('KEY_INVALID', `${spec.certificate.file}: holds ${extra.length + 1} certificates; give the signer's certificate alone and its issuers in certificateChain`);
  const chain = parseCertificates(spec.chain.pem, spec.chain.file);
  const problems = chainProblems(leaf, chain);
  if (problems.length) {
    throw new OrelError('KEY_INVALID', `${spec.certificate.file} with ${spec.chain.file}: not a usable code-signing certificate; nothing was signed`, {
      details: problems,
      hint: 'have the CA issue a certificate for this key with extendedKeyUsage=codeSigning, and list the chain intermediates first, root last',
    });
  }
  return { leaf, chain };
}

class CertifiedSigner implements Signer {
  readonly ref: string;
  readonly hashAlgorithm: HashAlgorithm;
  private readonly material: KeyMaterial;

  constructor(
    private readonly inner: Signer,
    private readonly leafPem: string,
    readonly certificateChain: readonly string[],
    root: string,
  ) {
    this.ref = `${inner.ref} (certified by ${root})`;
    this.hashAlgorithm = inner.hashAlgorithm;
    this.material = { $case: 'x509Certificate', certificate: leafPem, chain: [...certificateChain] };
  }

  async signDigest(digest: Buffer, algorithm: HashAlgorithm): Promise<SignatureResult> {
    return { ...(await this.inner.signDigest(digest, algorithm)), key: this.material };
  }

  async sign(data: Buffer): Promise<SignatureResult> {
    return { ...(await this.inner.sign(data)), key: this.material };
  }

  async certificatePem(): Promise<string> {
    return this.leafPem;
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
