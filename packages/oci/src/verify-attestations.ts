// Image attestations as `cosign verify-attestation --type` checks them: for
// each predicate type asked for, an attestation of that type whose statement
// names the image digest and whose signature verifies (key, or keyless
// against the trusted root and the identity policy). Found as Sigstore bundle
// referrers (cosign 3) or `.att` layers (cosign before 3; a keyless layer's
// certificate must be one a verified bundle vouched for).
import { OrelError } from '@orel/core';
import { toSignedEntity } from '@sigstore/verify';
import type { RootVerifier } from '@orel/verify';
import { spkiHex } from './identity.js';
import { ANN_BUNDLE, ANN_CERTIFICATE, ANN_PREDICATE_TYPE, DSSE_ENVELOPE, attTag, type ImageManifest } from './media.js';
import { bundleFromAttLayer } from './rekor-bundle.js';
import { dsseVerifiesWith, envelopeVerifiesWith, findBundles } from './referrers.js';
import { checkPayload, checkPolicy, checkStatement, resolveForVerify, type VerifyImageOptions } from './verify.js';

export interface AttestationCheck {
  digest: string;
  predicateType: string;
  source: 'referrer' | 'att-tag';
  where: string;
  ok: boolean;
  signer?: string;
  problem?: string;
  /** The verified statement. */
  statement?: unknown;
}

export interface VerifyAttestationsResult {
  digest: string;
  checks: AttestationCheck[];
}

export async function verifyImageAttestations(o: VerifyImageOptions & { types: string[] }): Promise<VerifyAttestationsResult> {
  if (!o.publicKeyPem && !o.trustedRoot) throw new OrelError('POLICY', 'attestation verification needs a public key (--key) or a trusted root with an identity policy');
  const { where, m, digests, verifier } = await resolveForVerify(o);
  const checks: AttestationCheck[] = [];
  const failures: string[] = [];
  for (const digest of digests) {
    const trusted = new Set<string>();
    const mine = [...(await referrerChecks(o, digest, verifier, trusted)), ...(await attTagChecks(o, digest, verifier, trusted))];
    checks.push(...mine);
    for (const type of o.types) {
      const of = mine.filter((c) => c.predicateType === type);
      if (!of.some((c) => c.ok)) failures.push(`${where}@${digest}: ${of.length ? `no ${type} attestation verifies (${of.map((c) => `${c.source}: ${c.problem}`).join('; ')})` : `no ${type} attestation (referrers or ${attTag(digest)})`}`);
    }
  }
  if (failures.length) throw new OrelError('VERIFY_FAILED', `image attestation verification failed: ${failures.join(' | ')}`, { details: failures });
  return { digest: m.digest, checks };
}

async function referrerChecks(o: VerifyImageOptions & { types: string[] }, digest: string, verifier: RootVerifier | undefined, trusted: Set<string>): Promise<AttestationCheck[]> {
  const out: AttestationCheck[] = [];
  for (const f of await findBundles(o.client, o.repo, digest)) {
    const type = f.predicateType;
    if (type === undefined || !o.types.includes(type)) continue;
    const base = { digest, predicateType: type, source: 'referrer' as const, where: f.manifestDigest };
    try {
      const statement = checkStatement(f.bundle, digest, type);
      let signer: string | undefined;
      if (f.certificate) {
        if (!verifier) throw new Error('keyless attestation but no trusted root given');
        const s = verifier.verify(toSignedEntity(f.bundle));
        checkPolicy(o.policy ?? {}, s.identity?.subjectAlternativeName, s.identity?.extensions?.issuer);
        trusted.add(spkiHex(f.certificate));
        signer = s.identity?.subjectAlternativeName;
      } else {
        if (!o.publicKeyPem) throw new Error('key-signed attestation but no public key given');
        if (!dsseVerifiesWith(f.bundle, o.publicKeyPem)) throw new Error('DSSE signature does not verify with the given key');
        signer = `key:${spkiHex(o.publicKeyPem).slice(-16)}`;
      }
      out.push({ ...base, ok: true, signer, statement });
    } catch (e) {
      out.push({ ...base, ok: false, problem: (e as Error).message });
    }
  }
  return out;
}

async function attTagChecks(o: VerifyImageOptions & { types: string[] }, digest: string, verifier: RootVerifier | undefined, trusted: Set<string>): Promise<AttestationCheck[]> {
  const tag = attTag(digest);
  const m = await o.client.getManifest(o.repo, tag);
  if (!m) return [];
  const out: AttestationCheck[] = [];
  for (const layer of (JSON.parse(m.bytes.toString('utf8')) as ImageManifest).layers ?? []) {
    const type = layer.annotations?.[ANN_PREDICATE_TYPE];
    if (layer.mediaType !== DSSE_ENVELOPE || type === undefined || !o.types.includes(type)) continue;
    const base = { digest, predicateType: type, source: 'att-tag' as const, where: `${tag} layer ${layer.digest}` };
    try {
      const raw = JSON.parse((await o.client.getBlobBytes(o.repo, layer.digest, 64 * 1024 * 1024)).toString('utf8')) as { payloadType: string; payload: string; signatures: { sig: string }[] };
      const env = { payloadType: raw.payloadType, payload: Buffer.from(raw.payload, 'base64'), signatures: (raw.signatures ?? []).map((s) => ({ sig: Buffer.from(s.sig, 'base64') })) };
      const statement = checkPayload(env.payload, digest, type);
      const cert = layer.annotations?.[ANN_CERTIFICATE];
      if (cert) {
        if (!envelopeVerifiesWith(env, cert)) throw new Error('DSSE signature does not verify with the certificate');
        // Chain, log and policy were checked on a bundle signed with this certificate...
        if (trusted.has(spkiHex(cert))) {
          out.push({ ...base, ok: true, signer: 'certificate', statement });
          continue;
        }
        // ...or the layer's own Rekor entry carries the proof (cosign before 3 attaches no referrer).
        if (!layer.annotations?.[ANN_BUNDLE]) throw new Error('certificate not backed by a verified Sigstore bundle, and the layer has no Rekor bundle annotation');
        if (!verifier) throw new Error('keyless attestation but no trusted root given');
        const s = verifier.verify(toSignedEntity(bundleFromAttLayer(layer.annotations, raw)));
        checkPolicy(o.policy ?? {}, s.identity?.subjectAlternativeName, s.identity?.extensions?.issuer);
        out.push({ ...base, ok: true, signer: s.identity?.subjectAlternativeName, statement });
      } else {
        if (!o.publicKeyPem) throw new Error('key-signed attestation but no public key given');
        if (!envelopeVerifiesWith(env, o.publicKeyPem)) throw new Error('DSSE signature does not verify with the given key');
        out.push({ ...base, ok: true, signer: `key:${spkiHex(o.publicKeyPem).slice(-16)}`, statement });
      }
    } catch (e) {
      out.push({ ...base, ok: false, problem: (e as Error).message });
    }
  }
  return out;
}
