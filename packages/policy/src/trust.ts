// What a cluster needs to check a release's image signatures, in the forms
// admission controllers take: the signer (a keyless identity or a public
// key) and, for a Sigstore other than the public-good instance, its
// Fulcio CA chain and log keys as PEM, read from a trusted_root.json.
import { OrelError } from '@orel/core';

export interface KeylessSigner {
  kind: 'keyless';
  /** Certificate SAN, exact... */
  identity?: string;
  /** ...or a regexp over the whole SAN. */
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
}

export interface KeySigner {
  kind: 'key';
  /** PEM SPKI public key. */
  publicKeyPem: string;
  /** The signatures are in the transparency log (the plan's signing.transparencyLog). */
  transparencyLog: boolean;
}

/** A key a corporate CA certified: signatures carry its certificate, checked against the CA with no log. */
export interface CaSigner {
  kind: 'ca';
  identity?: string;
  identityRegexp?: string;
  /** Only when the CA's certificates carry Fulcio's issuer extension. */
  issuer?: string;
  issuerRegexp?: string;
  /** PEM: the self-signed root(s) verifiers trust, and the intermediates that issue signers' certificates. */
  rootsPem: string;
  intermediatesPem: string;
}

/** A release repository and the repository its signatures name (the staging one the images were signed in). */
export interface GuardedRepository {
  /** registry/repo the release is pulled from. */
  repository: string;
  /** registry/repo in the signatures' docker-reference. */
  signedAs: string;
}

/** A Sigstore instance's current keys, as PEM. */
export interface SigstoreTrust {
  /** The trusted_root.json itself (Kyverno's ImageValidatingPolicy takes it whole). */
  trustedRootJson: string;
  /** Fulcio: its URL and CA chain (leaf-most first, root last). */
  fulcio: { url: string; chainPem: string }[];
  /** Rekor logs: URL, PEM key, and whether it is an ECDSA P-256 key (Rekor v1; what OpenShift can check). */
  rekor: { url: string; keyPem: string; ecdsaP256: boolean }[];
  /** Certificate Transparency logs: URL and PEM key. */
  ctlogs: { url: string; keyPem: string }[];
  /** Timestamp authorities: URL and certificate chain. */
  tsas: { url: string; chainPem: string }[];
}

export interface PolicyInput {
  /** The release's name (policy names). */
  release: string;
  /** Release repositories: what the policies guard. */
  repositories: GuardedRepository[];
  signer: KeylessSigner | KeySigner | CaSigner;
  /** The Sigstore the signatures are checked against (keys as of now); undefined for a key signer that never logs. */
  sigstore?: SigstoreTrust;
  /** It is the public-good instance, which Kyverno and policy-controller have built in (their policies then carry no keys). */
  publicGood: boolean;
  /** Where the trust came from, for the generated files' header ("public-good", a file). */
  trustSource: string;
}

const pem = (label: string, der: Buffer): string => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
export const certificatePem = (der: Buffer): string => pem('CERTIFICATE', der);
export const publicKeyPem = (der: Buffer): string => pem('PUBLIC KEY', der);

interface RawKey {
  rawBytes?: string;
  keyDetails?: string;
  validFor?: { start?: string; end?: string };
}
interface RawLog {
  baseUrl?: string;
  publicKey?: RawKey;
}
interface RawCa {
  uri?: string;
  certChain?: { certificates?: { rawBytes?: string }[] };
  validFor?: { start?: string; end?: string };
}

/** In force now: started and not ended. */
const current = (v: { start?: string; end?: string } | undefined, now: Date): boolean =>
  (!v?.start || new Date(v.start) <= now) && (!v?.end || new Date(v.end) > now);

/** The current keys of a trusted_root.json (file names the source, for errors). */
export function sigstoreTrust(json: string, file: string, now = new Date()): SigstoreTrust {
  let root: { mediaType?: string; certificateAuthorities?: RawCa[]; tlogs?: RawLog[]; ctlogs?: RawLog[]; timestampAuthorities?: RawCa[] };
  try {
    root = JSON.parse(json);
  } catch (e) {
    throw new OrelError('PLAN_INVALID', `${file}: not JSON (${(e as Error).message})`, { hint: 'verification.trustedRoot names a Sigstore trusted_root.json' });
  }
  if (!String(root.mediaType ?? '').startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new OrelError('PLAN_INVALID', `${file}: not a Sigstore trusted root (mediaType ${JSON.stringify(root.mediaType)})`, { hint: 'verification.trustedRoot names a Sigstore trusted_root.json' });
  }
  const chain = (ca: RawCa) => (ca.certChain?.certificates ?? []).map((c) => certificatePem(Buffer.from(c.rawBytes ?? '', 'base64'))).join('');
  const logs = (l: RawLog[] | undefined) => (l ?? []).filter((x) => x.publicKey?.rawBytes && current(x.publicKey.validFor, now));
  const trust: SigstoreTrust = {
    trustedRootJson: json,
    fulcio: (root.certificateAuthorities ?? []).filter((ca) => current(ca.validFor, now)).map((ca) => ({ url: ca.uri ?? '', chainPem: chain(ca) })),
    rekor: logs(root.tlogs).map((l) => ({ url: l.baseUrl ?? '', keyPem: publicKeyPem(Buffer.from(l.publicKey!.rawBytes!, 'base64')), ecdsaP256: l.publicKey!.keyDetails === 'PKIX_ECDSA_P256_SHA_256' })),
    ctlogs: logs(root.ctlogs).map((l) => ({ url: l.baseUrl ?? '', keyPem: publicKeyPem(Buffer.from(l.publicKey!.rawBytes!, 'base64')) })),
    tsas: (root.timestampAuthorities ?? []).filter((t) => current(t.validFor, now)).map((t) => ({ url: t.uri ?? '', chainPem: chain(t) })),
  };
  if (trust.fulcio.length === 0) throw new OrelError('PLAN_INVALID', `${file}: no certificate authority in force`, { hint: 'keyless policies need the Fulcio CA of the Sigstore that signed' });
  return trust;
}

/** Checks the input before any policy is made: repositories to guard and a complete signer. */
export function checkInput(input: PolicyInput): PolicyInput {
  if (input.repositories.length === 0) {
    throw new OrelError('PLAN_INVALID', 'the plan releases no images: admission policies guard image repositories', { hint: 'add images (with promoteTo) to the plan' });
  }
  const s = input.signer;
  if (s.kind === 'keyless' && (!(s.identity || s.identityRegexp) || !(s.issuer || s.issuerRegexp))) {
    throw new OrelError('PLAN_INVALID', 'a keyless admission policy needs the signer identity and issuer', {
      hint: 'set verification.identity (or identityRegexp) and verification.issuer (or issuerRegexp) in the plan',
    });
  }
  if (s.kind === 'ca' && !(s.identity || s.identityRegexp)) {
    throw new OrelError('PLAN_INVALID', 'a CA-certified signer\'s admission policy needs the certificate identity', { hint: 'set verification.identity (or identityRegexp) in the plan' });
  }
  if ((s.kind === 'keyless' || (s.kind === 'key' && s.transparencyLog)) && !input.sigstore) throw new OrelError('INTERNAL', 'a keyless or logged signer needs the trusted root of its Sigstore');
  return input;
}

/** A CA signer's certificates as one PEM bundle, intermediates then roots: what Kyverno and policy-controller take. */
export const caBundlePem = (s: CaSigner): string => s.intermediatesPem + s.rootsPem;

/** subject / subjectRegExp and, when the plan has one, issuer / issuerRegExp: the fields every controller names them by. */
export function identityFields(s: KeylessSigner | CaSigner): Record<string, string> {
  const out: Record<string, string> = s.identity ? { subject: s.identity } : { subjectRegExp: s.identityRegexp! };
  if (s.issuer) out.issuer = s.issuer;
  else if (s.issuerRegexp) out.issuerRegExp = s.issuerRegexp;
  return out;
}
