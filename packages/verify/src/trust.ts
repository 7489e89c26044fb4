// Trust material for @sigstore/verify: a trusted root (keyless, tlog and TSA
// checks) and/or a public key (key-signed bundles).
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { observedAt } from './signed-entity.js';
import { OrelError } from '@orel/core';

const EMPTY_ROOT: TrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/** Parses a trusted_root.json document (already JSON-parsed); VERIFY_FAILED if it is not one. */
export function parseTrustedRoot(json: unknown, source = 'trusted root'): TrustedRoot {
  try {
    const root = TrustedRoot.fromJSON(json);
    if (!root.mediaType) throw new Error('no mediaType');
    return root;
  } catch (e) {
    throw new OrelError('VERIFY_FAILED', `${source} is not a Sigstore trusted_root.json: ${(e as Error).message}`, { cause: e });
  }
}

function keyDetails(key: KeyObject): PublicKeyDetails {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    return d.namedCurve === 'secp384r1'
      ? PublicKeyDetails.PKIX_ECDSA_P384_SHA_384
      : d.namedCurve === 'secp521r1'
        ? PublicKeyDetails.PKIX_ECDSA_P521_SHA_512
        : PublicKeyDetails.PKIX_ECDSA_P256_SHA_256;
  }
  if (key.asymmetricKeyType === 'ed25519') return PublicKeyDetails.PKIX_ED25519;
  return PublicKeyDetails.PKIX_RSA_PKCS1V15_2048_SHA256;
}

/**
 * Trust material for a key-signed bundle: the given public key under the
 * bundle's own hint (as `cosign verify-blob --key` does, the key is what the
 * user trusts; the hint only names it), plus the root's logs and TSAs if any.
 */
export function keyTrustMaterial(publicKeyPem: string, hint: string, root?: TrustedRoot): TrustMaterial {
  // A release checks thousands of bundles with one key: build its material
  // (and the key object verification gets) once, not per bundle.
  const byKey = keyMaterialCache.get(root ?? EMPTY_ROOT) ?? new Map<string, TrustMaterial>();
  keyMaterialCache.set(root ?? EMPTY_ROOT, byKey);
  const id = `${hint}\0${publicKeyPem}`;
  let material = byKey.get(id);
  if (!material) {
    const key = createPublicKey(publicKeyPem);
    const rawBytes = key.export({ type: 'spki', format: 'der' });
    const built = toTrustMaterial(root ?? EMPTY_ROOT, { [hint]: { rawBytes, keyDetails: keyDetails(key) } });
    const found = new Map<string, ReturnType<TrustMaterial['publicKey']>>();
    material = { ...built, publicKey: (h) => found.get(h) ?? (found.set(h, built.publicKey(h)), found.get(h)!) };
    byKey.set(id, material);
  }
  return material;
}

const keyMaterialCache = new WeakMap<object, Map<string, TrustMaterial>>();

/** Trust material for keyless bundles: Fulcio CAs, CT logs, Rekor logs and TSAs from the root. */
export function rootTrustMaterial(root: TrustedRoot): TrustMaterial {
  return toTrustMaterial(root);
}

/**
 * A trusted root that holds certificate authorities and no logs: a corporate
 * PKI's (see caTrustedRoot). Certificates under it are checked at the time
 * of verification, with no SCT or log entry to require, as cosign does with
 * --insecure-ignore-tlog --insecure-ignore-sct.
 */
export function isCaOnlyRoot(json: unknown): boolean {
  const r = json as { certificateAuthorities?: unknown[]; tlogs?: unknown[]; ctlogs?: unknown[]; timestampAuthorities?: unknown[] } | undefined;
  const none = (x?: unknown[]) => !Array.isArray(x) || x.length === 0;
  return !!r && Array.isArray(r.certificateAuthorities) && r.certificateAuthorities.length > 0 && none(r.tlogs) && none(r.ctlogs) && none(r.timestampAuthorities);
}

const rdn = (subject: string, key: string): string | undefined => subject.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);

/**
 * The Sigstore trusted_root.json of a CA chain (PEMs: intermediates first,
 * root last): what `cosign verify-blob --trusted-root` and orel take to
 * verify a release signed with a CA-certified key.
 */
export function caTrustedRoot(chainPems: readonly string[]): TrustedRootJson {
  const certs = chainPems.map((p) => new X509Certificate(p));
  const root = certs[certs.length - 1];
  if (!root) throw new OrelError('USAGE', 'a CA trusted root needs at least the root certificate');
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [
      {
        subject: { organization: rdn(root.subject, 'O') ?? '', commonName: rdn(root.subject, 'CN') ?? '' },
        uri: '',
        certChain: { certificates: certs.map((c) => ({ rawBytes: c.raw.toString('base64') })) },
        validFor: { start: new Date(root.validFrom).toISOString() },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
}

export interface TrustedRootJson {
  mediaType: string;
  tlogs: unknown[];
  certificateAuthorities: { subject: { organization: string; commonName: string }; uri: string; certChain: { certificates: { rawBytes: string }[] }; validFor: { start: string } }[];
  ctlogs: unknown[];
  timestampAuthorities: unknown[];
}

/** What checks a signed entity against a trusted root (@sigstore/verify's Verifier, or its CA-only form). */
export interface RootVerifier {
  verify: Verifier['verify'];
  /** The root is a corporate CA's (see isCaOnlyRoot). */
  caOnly: boolean;
}

/**
 * @sigstore/verify's Verifier for a trusted root with its default
 * thresholds; under a CA-only root, certificates are checked at the time of
 * verification with no log entry, SCT or timestamp to require.
 */
export function rootVerifier(trustedRoot: unknown): RootVerifier {
  const material = rootTrustMaterial(parseTrustedRoot(trustedRoot));
  if (!isCaOnlyRoot(trustedRoot)) {
    const v = new Verifier(material);
    return { verify: (entity, policy) => v.verify(entity, policy), caOnly: false };
  }
  const v = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 });
  return { verify: (entity, policy) => v.verify({ ...entity, tlogEntries: [], timestamps: [observedAt(new Date())] }, policy), caOnly: true };
}
