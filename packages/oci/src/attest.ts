// Attestations on an image, as cosign attaches them: the DSSE Sigstore bundle
// as an OCI 1.1 referrer (annotated with its predicate type; what cosign 3
// reads), and the same envelope as a layer of the `sha256-<hex>.att` image
// (what cosign before 3 reads), with the certificate, chain and Rekor entry
// in cosign's annotations. One signature, both places; a re-run with the same
// bundle adds nothing.
import { bundleToJSON, envelopeToJSON, type Bundle } from '@sigstore/bundle';
import { OrelError } from '@orel/core';
import { sha256Digest, type RegistryClient } from './client.js';
import { ANN_BUNDLE, ANN_BUNDLE_CONTENT, ANN_BUNDLE_PREDICATE, ANN_CERTIFICATE, ANN_CHAIN, ANN_PREDICATE_TYPE, ANN_SIGNATURE, DSSE_ENVELOPE, OCI_MANIFEST, SIGSTORE_BUNDLE, attTag, type Descriptor, type ImageManifest } from './media.js';
import { attachReferrer, findBundles, leafCertificate } from './referrers.js';
import { cosignRekorBundle } from './rekor-bundle.js';
import { sigManifest } from './simplesigning.js';

export interface AttachAttestationOptions {
  client: RegistryClient;
  repo: string;
  /** The image manifest (or index) digest the statement names. */
  digest: string;
  /** A DSSE bundle over an in-toto statement. */
  bundle: Bundle;
  predicateType: string;
  /** The Fulcio chain above a keyless leaf (see chainFromTrustedRoot). */
  certificateChain?: (leafPem: string) => string | undefined;
}

export interface AttachAttestationResult {
  referrer: 'added' | 'exists';
  att: 'added' | 'exists';
}

/**
 * The DSSE envelope as stored in an `.att` layer: byte for byte the JSON
 * sigstore-js logged (a Rekor dsse entry's envelopeHash), so cosign's check
 * of the layer against its Rekor entry (sha256 of the layer) holds.
 */
export function envelopeJson(b: Bundle): Buffer {
  if (b.content.$case !== 'dsseEnvelope') throw new OrelError('INTERNAL', 'an attestation bundle must hold a DSSE envelope');
  return Buffer.from(JSON.stringify(envelopeToJSON(b.content.dsseEnvelope)));
}

function attAnnotations(o: AttachAttestationOptions): Record<string, string> {
  const ann: Record<string, string> = { [ANN_SIGNATURE]: '', [ANN_PREDICATE_TYPE]: o.predicateType };
  const leaf = leafCertificate(o.bundle);
  if (leaf) {
    ann[ANN_CERTIFICATE] = leaf;
    const chain = o.certificateChain?.(leaf);
    if (chain) ann[ANN_CHAIN] = chain;
  }
  const entry = o.bundle.verificationMaterial.tlogEntries[0];
  const rekor = entry ? cosignRekorBundle(entry) : undefined;
  if (rekor) ann[ANN_BUNDLE] = rekor;
  return ann;
}

export async function attachAttestation(o: AttachAttestationOptions): Promise<AttachAttestationResult> {
  const { client, repo, digest } = o;
  if (!(await client.headManifest(repo, digest))) {
    throw new OrelError('PUBLISH_FAILED', `${client.host}/${repo}@${digest} does not exist; cannot attach an attestation to it`);
  }
  const bytes = Buffer.from(JSON.stringify(bundleToJSON(o.bundle)));
  let referrer: AttachAttestationResult['referrer'] = 'exists';
  if (!(await findBundles(client, repo, digest)).some((f) => f.blobDigest === sha256Digest(bytes))) {
    await attachReferrer(client, repo, digest, {
      artifactType: SIGSTORE_BUNDLE,
      blob: bytes,
      annotations: { [ANN_BUNDLE_CONTENT]: 'dsse-envelope', [ANN_BUNDLE_PREDICATE]: o.predicateType },
      title: `${sha256Digest(bytes).replace(':', '-')}.sigstore.json`,
    });
    referrer = 'added';
  }

  const envelope = envelopeJson(o.bundle);
  const layerDigest = sha256Digest(envelope);
  const tag = attTag(digest);
  const existing = await client.getManifest(repo, tag);
  const layers: Descriptor[] = existing ? ((JSON.parse(existing.bytes.toString('utf8')) as ImageManifest).layers ?? []) : [];
  if (layers.some((l) => l.digest === layerDigest)) return { referrer, att: 'exists' };
  await client.uploadBlob(repo, layerDigest, envelope);
  const built = sigManifest([...layers, { mediaType: DSSE_ENVELOPE, size: envelope.length, digest: layerDigest, annotations: attAnnotations(o) }]);
  await client.uploadBlob(repo, built.configDescriptor.digest, built.config);
  await client.putManifest(repo, tag, built.manifest, OCI_MANIFEST);
  return { referrer, att: 'added' };
}
