// Signs an image by digest, the way cosign does: a simple-signing layer
// appended to the `sha256-<hex>.sig` manifest (other signers' layers kept, our
// own never duplicated), plus cosign v3's Sigstore bundle (DSSE over an
// in-toto statement, predicate https://sigstore.dev/cosign/sign/v1) attached
// as an OCI 1.1 referrer with the fallback tag schema.
import { verify } from 'node:crypto';
import { OrelError, type KeyMaterial, type SignatureResult, type Signer } from '@orel/core';
import { bundleToJSON } from '@sigstore/bundle';
import type { Witness } from '@sigstore/sign';
import { inTotoStatement, signDsseBundle } from '@orel/sign';
import { sha256Digest, type RegistryClient } from './client.js';
import { signerIdentity } from './identity.js';
import {
  ANN_BUNDLE,
  ANN_CERTIFICATE,
  ANN_CHAIN,
  ANN_SIGNATURE,
  COSIGN_SIGN_PREDICATE,
  COSIGN_SIMPLESIGNING,
  INTOTO_PAYLOAD,
  OCI_MANIFEST,
  SIGSTORE_BUNDLE,
  sigTag,
  type Descriptor,
  type ImageManifest,
} from './media.js';
import { attachReferrer, dsseVerifiesWith, findBundles } from './referrers.js';
import { signatureLayers, sigManifest, simpleSigningPayload } from './simplesigning.js';

export interface SignImageOptions {
  client: RegistryClient;
  repo: string;
  /** The manifest (or index) digest being signed. */
  digest: string;
  signer: Signer;
  /** docker-reference in the payload (default host/repo). */
  reference?: string;
  /** Also attach a Sigstore bundle referrer (default true). */
  bundle?: boolean;
  /** Transparency-log / timestamp witnesses for the bundle (keyless: Rekor). */
  witnesses?: Witness[];
  /**
   * Legacy `dev.sigstore.cosign/bundle` annotation (the Rekor entry for the
   * simple-signing signature), when a log entry is available.
   */
  rekorBundle?: (payload: Buffer, sig: SignatureResult) => Promise<string | undefined>;
  /**
   * The `dev.sigstore.cosign/chain` PEMs for a leaf certificate, when the
   * signer hands over the leaf alone (see chainFromTrustedRoot).
   */
  certificateChain?: (leafPem: string) => string | undefined;
}

export interface SignImageResult {
  digest: string;
  /** The `.sig` tag and the manifest digest it now points at. */
  sigTag: string;
  sigManifestDigest: string;
  /** 'added' or 'exists' (our signature was already there). */
  signature: 'added' | 'exists';
  bundle?: { status: 'added' | 'exists'; manifestDigest: string };
}

function keyAnnotations(key: KeyMaterial, chainFor?: (leafPem: string) => string | undefined): Record<string, string> {
  if (key.$case !== 'x509Certificate') return {};
  // cosign: the leaf in /certificate, the rest of the PEM chain in /chain.
  const pems = key.certificate.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [key.certificate];
  const ann: Record<string, string> = { [ANN_CERTIFICATE]: pems[0].trim() + '\n' };
  const issuers = pems.length > 1 ? pems.slice(1) : key.chain;
  const chain = issuers ? issuers.map((p) => p.trim() + '\n').join('') : chainFor?.(ann[ANN_CERTIFICATE]);
  if (chain) ann[ANN_CHAIN] = chain;
  return ann;
}

/** Whether an existing layer is our own earlier signature of the same payload. */
function isOurs(layer: Descriptor, payload: Buffer, key: { identity: string; publicKeyPem?: string }): boolean {
  const cert = layer.annotations?.[ANN_CERTIFICATE];
  if (cert) return signerIdentity({ certificate: cert }) === key.identity;
  return key.publicKeyPem !== undefined && verifiesWith(layer, payload, key.publicKeyPem);
}

export async function signImage(o: SignImageOptions): Promise<SignImageResult> {
  const { client, repo, digest, signer } = o;
  const reference = o.reference ?? `${client.host}/${repo}`;
  const payload = simpleSigningPayload(reference, digest);
  const payloadDigest = sha256Digest(payload);
  const tag = sigTag(digest);
  if (!(await client.headManifest(repo, digest))) {
    throw new OrelError('SIGN_FAILED', `${client.host}/${repo}@${digest} does not exist; cannot sign it`, { hint: 'push the image to the staging registry first' });
  }

  const existing = await client.getManifest(repo, tag);
  const current: ImageManifest | undefined = existing ? JSON.parse(existing.bytes.toString('utf8')) : undefined;
  const sameDigestLayers = current ? signatureLayers(current).filter((l) => l.digest === payloadDigest) : [];

  // Key signers: our identity is known before signing, so a re-run signs nothing.
  const publicKeyPem = await signer.publicKeyPem?.();
  let ours: { identity: string; publicKeyPem?: string } | undefined = publicKeyPem ? { identity: signerIdentity({ publicKey: publicKeyPem }), publicKeyPem } : undefined;
  let already = ours !== undefined && sameDigestLayers.some((l) => isOurs(l, payload, ours!));

  let sigManifestDigest = existing?.digest ?? '';
  let signature: 'added' | 'exists' = 'exists';
  if (!already) {
    const sig = await signer.sign(payload);
    const k = sig.key;
    ours = k.$case === 'x509Certificate' ? { identity: signerIdentity({ certificate: k.certificate }) } : { identity: signerIdentity({ publicKey: k.publicKey }), publicKeyPem: k.publicKey };
    already = sameDigestLayers.some((l) => isOurs(l, payload, ours!));
    if (!already) {
      const annotations: Record<string, string> = { [ANN_SIGNATURE]: sig.signature.toString('base64'), ...keyAnnotations(k, o.certificateChain) };
      const rekor = await o.rekorBundle?.(payload, sig);
      if (rekor) annotations[ANN_BUNDLE] = rekor;
      await client.uploadBlob(repo, payloadDigest, payload);
      const layers = [...(current?.layers ?? []), { mediaType: COSIGN_SIMPLESIGNING, size: payload.length, digest: payloadDigest, annotations }];
      const built = sigManifest(layers);
      await client.uploadBlob(repo, built.configDescriptor.digest, built.config);
      sigManifestDigest = await client.putManifest(repo, tag, built.manifest, OCI_MANIFEST);
      signature = 'added';
    }
  }

  const result: SignImageResult = { digest, sigTag: tag, sigManifestDigest, signature };
  if (o.bundle !== false) result.bundle = await attachSignBundle(o, ours!);
  return result;
}

/** True when a key-signed layer's signature verifies over the payload with the PEM key. */
function verifiesWith(layer: Descriptor, payload: Buffer, pem: string): boolean {
  if (!pem) return false;
  try {
    return verify('sha256', payload, pem, Buffer.from(layer.annotations![ANN_SIGNATURE], 'base64'));
  } catch {
    return false;
  }
}

/** The in-toto statement cosign v3 signs for an image. */
export function signStatement(reference: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify(inTotoStatement(COSIGN_SIGN_PREDICATE, {}, [{ name: reference, digest }])));
}

async function attachSignBundle(o: SignImageOptions, ours: { identity: string; publicKeyPem?: string }): Promise<{ status: 'added' | 'exists'; manifestDigest: string }> {
  const { client, repo, digest, signer } = o;
  const reference = o.reference ?? `${client.host}/${repo}`;
  for (const found of await findBundles(client, repo, digest)) {
    if (found.predicateType !== COSIGN_SIGN_PREDICATE) continue;
    const same = found.identity ? found.identity === ours.identity : !!ours.publicKeyPem && dsseVerifiesWith(found.bundle, ours.publicKeyPem);
    if (same) return { status: 'exists', manifestDigest: found.manifestDigest };
  }
  const bundle = await signDsseBundle({ payload: signStatement(reference, digest), payloadType: INTOTO_PAYLOAD, signer, witnesses: o.witnesses, what: `the Sigstore bundle for ${client.host}/${repo}@${digest}` });
  const bytes = Buffer.from(JSON.stringify(bundleToJSON(bundle)));
  const manifestDigest = await attachReferrer(client, repo, digest, {
    artifactType: SIGSTORE_BUNDLE,
    blob: bytes,
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': COSIGN_SIGN_PREDICATE },
    title: `${sha256Digest(bytes).replace(':', '-')}.sigstore.json`,
  });
  return { status: 'added', manifestDigest };
}
