// Verifies an image as an end user would: fetch it from the registry, check
// its digest, find signatures by the `.sig` tag and by referrers (or the
// fallback tag), and check each one against a public key or, for keyless
// signatures, a Sigstore trusted root plus an identity policy.
import { createHash, verify as nodeVerify } from 'node:crypto';
import { OrelError } from '@orel/core';
import type { Bundle } from '@sigstore/bundle';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity } from '@sigstore/verify';
import { certificateSignatureBundle, rootVerifier, type RootVerifier } from '@orel/verify';
import { pem } from '@sigstore/core';
import type { RegistryClient } from './client.js';
import { spkiHex } from './identity.js';
import { ANN_BUNDLE, ANN_CERTIFICATE, ANN_SIGNATURE, COSIGN_SIGN_PREDICATE, isIndex, sigTag, type ImageIndex, type ImageManifest } from './media.js';
import { bundleFromSigLayer } from './rekor-bundle.js';
import { dsseVerifiesWith, findBundles } from './referrers.js';
import { parseSimpleSigning, signatureLayers } from './simplesigning.js';

export interface IdentityPolicy {
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
}

export interface VerifyImageOptions {
  client: RegistryClient;
  repo: string;
  /** Tag or digest to verify. */
  ref: string;
  /** When known (from the stage manifest), the digest the reference must resolve to. */
  expectedDigest?: string;
  publicKeyPem?: string;
  /** Parsed trusted_root.json, for keyless signatures. */
  trustedRoot?: unknown;
  policy?: IdentityPolicy;
  /** Also require a valid signature on every platform manifest of an index. */
  platforms?: boolean;
}

export interface SignatureCheck {
  digest: string;
  source: 'sig-tag' | 'referrer';
  where: string;
  ok: boolean;
  /** Key fingerprint or certificate SAN. */
  signer?: string;
  problem?: string;
}

export interface VerifyImageResult {
  digest: string;
  mediaType: string;
  checks: SignatureCheck[];
}

const anchored = (re: string): RegExp => new RegExp(`^(?:${re})$`);

export async function verifyImage(o: VerifyImageOptions): Promise<VerifyImageResult> {
  if (!o.publicKeyPem && !o.trustedRoot) {
    throw new OrelError('POLICY', 'image verification needs a public key (--key) or a trusted root with an identity policy');
  }
  if (o.trustedRoot && !o.publicKeyPem && !(o.policy?.identity || o.policy?.identityRegexp) ) {
    throw new OrelError('POLICY', 'keyless image verification needs --certificate-identity or --certificate-identity-regexp', {
      hint: 'and --certificate-oidc-issuer or --certificate-oidc-issuer-regexp',
    });
  }
  const { where, m, digests, verifier } = await resolveForVerify(o);

  const checks: SignatureCheck[] = [];
  const failures: string[] = [];
  for (const digest of digests) {
    const mine = [...(await bundleChecks(o, digest, verifier)), ...(await sigTagChecks(o, digest, verifier))];
    checks.push(...mine.map((c) => c.check));
    if (!mine.some((c) => c.check.ok)) {
      const why = mine.map((c) => `${c.check.source}: ${c.check.problem}`).join('; ') || 'no signatures found (.sig tag or referrers)';
      failures.push(`${where}@${digest}: ${why}`);
    }
  }
  if (failures.length) {
    throw new OrelError('VERIFY_FAILED', `image signature verification failed for ${failures.length} manifest(s): ${failures.join(' | ')}`, { details: failures });
  }
  return { digest: m.digest, mediaType: m.mediaType, checks };
}

/** The manifest a reference names (checked against the expected digest), the digests to check and the keyless verifier. */
export async function resolveForVerify(o: VerifyImageOptions) {
  const where = `${o.client.host}/${o.repo}`;
  const m = await o.client.getManifest(o.repo, o.ref);
  if (!m) throw new OrelError('VERIFY_FAILED', `${where}:${o.ref} not found`);
  if (o.expectedDigest && m.digest !== o.expectedDigest) {
    throw new OrelError('VERIFY_FAILED', `${where}:${o.ref} resolves to ${m.digest}, expected ${o.expectedDigest}`);
  }
  const digests = [m.digest];
  if (o.platforms && isIndex(m.mediaType)) digests.push(...(JSON.parse(m.bytes.toString('utf8')) as ImageIndex).manifests.map((d) => d.digest));
  // A corporate CA's root (no logs) checks certificates now; a Sigstore root needs their log entries.
  const verifier = o.trustedRoot ? rootVerifier(o.trustedRoot) : undefined;
  return { where, m, digests, verifier };
}

interface Checked {
  check: SignatureCheck;
  /** Leaf certificate of a verified keyless bundle: `.sig` layers signed with it count as verified. */
  trustedCert?: string;
}

const verifiedCerts = new WeakMap<VerifyImageOptions, Set<string>>();

async function bundleChecks(o: VerifyImageOptions, digest: string, verifier?: RootVerifier): Promise<Checked[]> {
  const out: Checked[] = [];
  const trusted = verifiedCerts.get(o) ?? new Set<string>();
  verifiedCerts.set(o, trusted);
  for (const f of await findBundles(o.client, o.repo, digest)) {
    // Attestations (another predicate type) are checked by verifyImageAttestations.
    if (f.predicateType !== undefined && f.predicateType !== COSIGN_SIGN_PREDICATE) continue;
    const base = { digest, source: 'referrer' as const, where: f.manifestDigest };
    try {
      checkStatement(f.bundle, digest);
      if (f.certificate) {
        if (!verifier) throw new Error('keyless bundle but no trusted root given');
        const signer = verifier.verify(toSignedEntity(f.bundle));
        checkPolicy(o.policy ?? {}, signer.identity?.subjectAlternativeName, signer.identity?.extensions?.issuer);
        trusted.add(spkiHex(f.certificate));
        out.push({ check: { ...base, ok: true, signer: signer.identity?.subjectAlternativeName }, trustedCert: f.certificate });
      } else {
        if (!o.publicKeyPem) throw new Error('key-signed bundle but no public key given');
        if (!dsseVerifiesWith(f.bundle, o.publicKeyPem)) throw new Error('DSSE signature does not verify with the given key');
        out.push({ check: { ...base, ok: true, signer: `key:${spkiHex(o.publicKeyPem).slice(-16)}` } });
      }
    } catch (e) {
      out.push({ check: { ...base, ok: false, problem: (e as Error).message } });
    }
  }
  return out;
}

/** The DSSE statement must carry the predicate type (cosign's sign predicate for signatures) and name this digest; returns it. */
export function checkStatement(b: Bundle, digest: string, predicateType = COSIGN_SIGN_PREDICATE): unknown {
  if (b.content.$case !== 'dsseEnvelope') throw new Error('bundle holds no DSSE envelope');
  return checkPayload(b.content.dsseEnvelope.payload, digest, predicateType);
}

export function checkPayload(payload: Buffer, digest: string, predicateType: string): unknown {
  const st = JSON.parse(payload.toString('utf8'));
  if (st.predicateType !== predicateType) throw new Error(`predicate ${st.predicateType} is not ${predicateType}`);
  const [alg, hex] = digest.split(':');
  if (!(st.subject ?? []).some((s: any) => s?.digest?.[alg] === hex)) throw new Error(`statement subject is not ${digest}`);
  return st;
}

export function checkPolicy(p: IdentityPolicy, san?: string, issuer?: string): void {
  if (p.identity !== undefined && san !== p.identity) throw new Error(`certificate identity ${san} is not ${p.identity}`);
  if (p.identityRegexp !== undefined && !anchored(p.identityRegexp).test(san ?? '')) throw new Error(`certificate identity ${san} does not match ${p.identityRegexp}`);
  if (p.issuer !== undefined && issuer !== p.issuer) throw new Error(`certificate issuer ${issuer} is not ${p.issuer}`);
  if (p.issuerRegexp !== undefined && !anchored(p.issuerRegexp).test(issuer ?? '')) throw new Error(`certificate issuer ${issuer} does not match ${p.issuerRegexp}`);
}

async function sigTagChecks(o: VerifyImageOptions, digest: string, verifier?: RootVerifier): Promise<Checked[]> {
  const tag = sigTag(digest);
  const m = await o.client.getManifest(o.repo, tag);
  if (!m) return [];
  const trusted = verifiedCerts.get(o) ?? new Set<string>();
  const out: Checked[] = [];
  for (const layer of signatureLayers(JSON.parse(m.bytes.toString('utf8')) as ImageManifest)) {
    const base = { digest, source: 'sig-tag' as const, where: `${tag} layer ${layer.digest}` };
    try {
      const payload = await o.client.getBlobBytes(o.repo, layer.digest, 1024 * 1024);
      const claims = parseSimpleSigning(payload, `${o.client.host}/${o.repo}:${tag}`);
      if (claims.manifestDigest !== digest) throw new Error(`payload is for ${claims.manifestDigest}, not ${digest}`);
      const sig = Buffer.from(layer.annotations![ANN_SIGNATURE], 'base64');
      const cert = layer.annotations?.[ANN_CERTIFICATE];
      if (cert) {
        if (!verifier) throw new Error('keyless signature but no trusted root given');
        if (!nodeVerify('sha256', payload, cert, sig)) throw new Error('signature does not verify with the certificate');
        // The certificate must be one a verified bundle vouched for (chain, log and policy checked there)...
        if (trusted.has(spkiHex(cert))) {
          out.push({ check: { ...base, ok: true, signer: 'certificate' } });
          continue;
        }
        // ...or the layer's own Rekor bundle annotation carries the proof (cosign before v3 attaches no referrer).
        // ...or, under a corporate CA (no log to prove a time), the certificate itself, checked now.
        if (!layer.annotations?.[ANN_BUNDLE] && !verifier.caOnly) throw new Error('certificate not backed by a verified Sigstore bundle, and the layer has no Rekor bundle annotation');
        const bundle = layer.annotations?.[ANN_BUNDLE]
          ? bundleFromSigLayer(layer.annotations, payload)
          : bundleFromJSON(certificateSignatureBundle({ signature: sig, certDer: pem.toDER(cert) }, createHash('sha256').update(payload).digest()));
        const signer = verifier.verify(toSignedEntity(bundle, payload));
        checkPolicy(o.policy ?? {}, signer.identity?.subjectAlternativeName, signer.identity?.extensions?.issuer);
        out.push({ check: { ...base, ok: true, signer: signer.identity?.subjectAlternativeName } });
      } else {
        if (!o.publicKeyPem) throw new Error('key-signed layer but no public key given');
        if (!nodeVerify('sha256', payload, o.publicKeyPem, sig)) throw new Error('signature does not verify with the given key');
        out.push({ check: { ...base, ok: true, signer: `key:${spkiHex(o.publicKeyPem).slice(-16)}` } });
      }
    } catch (e) {
      out.push({ check: { ...base, ok: false, problem: (e as Error).message } });
    }
  }
  return out;
}
