// OCI 1.1 referrers: push an artifact manifest with a `subject`, and keep the
// fallback index (tag `sha256-<hex>`) up to date when the registry has no
// referrers API (docker-registry 2.8). Also finds Sigstore bundles attached
// to a manifest.
import { verify } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { dsse, pem } from '@sigstore/core';
import { OrelError } from '@orel/core';
import { sha256Digest, type RegistryClient } from './client.js';
import { signerIdentity } from './identity.js';
import { ANN_BUNDLE_PREDICATE, ANN_CREATED, ANN_TITLE, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, SIGSTORE_BUNDLE, digestTag, type Descriptor, type ImageIndex, type ImageManifest } from './media.js';

const EMPTY = Buffer.from('{}');

export interface ReferrerArtifact {
  artifactType: string;
  blob: Buffer;
  annotations?: Record<string, string>;
  /** org.opencontainers.image.title of the layer (a file name). */
  title?: string;
}

/** Pushes an artifact manifest referring to `subjectDigest`; returns the artifact manifest's digest. */
export async function attachReferrer(client: RegistryClient, repo: string, subjectDigest: string, a: ReferrerArtifact): Promise<string> {
  const subject = await client.headManifest(repo, subjectDigest);
  if (!subject) throw new OrelError('PUBLISH_FAILED', `${client.host}/${repo}@${subjectDigest} does not exist; cannot attach ${a.artifactType}`);
  const blobDigest = sha256Digest(a.blob);
  await client.uploadBlob(repo, sha256Digest(EMPTY), EMPTY);
  await client.uploadBlob(repo, blobDigest, a.blob);
  const annotations = { ...a.annotations, [ANN_CREATED]: new Date().toISOString() };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: a.artifactType,
    config: { mediaType: OCI_EMPTY, digest: sha256Digest(EMPTY), size: 2 },
    layers: [{ mediaType: a.artifactType, digest: blobDigest, size: a.blob.length, ...(a.title ? { annotations: { [ANN_TITLE]: a.title } } : {}) }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await client.putManifest(repo, sha256Digest(bytes), bytes, OCI_MANIFEST);
  if (!(await client.supportsReferrersApi(repo))) {
    await addToFallbackIndex(client, repo, subjectDigest, { mediaType: OCI_MANIFEST, digest, size: bytes.length, artifactType: a.artifactType, annotations });
  }
  return digest;
}

/** Adds descriptors to the `sha256-<hex>` fallback index (kept sorted by insertion, no duplicates). */
export async function addToFallbackIndex(client: RegistryClient, repo: string, subjectDigest: string, ...entries: Descriptor[]): Promise<'updated' | 'unchanged'> {
  const existing = await client.getFallbackIndex(repo, subjectDigest);
  const index: ImageIndex = existing?.index ?? { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  const fresh = entries.filter((e) => !index.manifests.some((m) => m.digest === e.digest));
  if (fresh.length === 0) return 'unchanged';
  index.manifests = [...index.manifests, ...fresh];
  await client.putManifest(repo, digestTag(subjectDigest), Buffer.from(JSON.stringify(index)), OCI_INDEX);
  return 'updated';
}

export interface FoundBundle {
  manifestDigest: string;
  /** The bundle blob's digest (the same bundle attached twice has one). */
  blobDigest: string;
  predicateType?: string;
  bundle: Bundle;
  /** Leaf certificate PEM for keyless bundles. */
  certificate?: string;
  /** cert:<SAN> for keyless bundles (see identity.ts); undefined for key-signed ones. */
  identity?: string;
}

/** Sigstore bundles referring to a manifest (referrers API or fallback tag). */
export async function findBundles(client: RegistryClient, repo: string, digest: string): Promise<FoundBundle[]> {
  const { manifests } = await client.referrers(repo, digest, SIGSTORE_BUNDLE);
  const out: FoundBundle[] = [];
  for (const d of manifests) {
    const m = await client.getManifest(repo, d.digest);
    if (!m) continue;
    const manifest = JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
    const layer = manifest.layers?.find((l) => l.mediaType === SIGSTORE_BUNDLE);
    if (!layer || manifest.subject?.digest !== digest) continue;
    const bundle = bundleFromJSON(JSON.parse((await client.getBlobBytes(repo, layer.digest)).toString('utf8')));
    const certificate = leafCertificate(bundle);
    out.push({
      manifestDigest: m.digest,
      blobDigest: layer.digest,
      predicateType: manifest.annotations?.[ANN_BUNDLE_PREDICATE] ?? d.annotations?.[ANN_BUNDLE_PREDICATE],
      bundle,
      certificate,
      identity: certificate ? signerIdentity({ certificate }) : undefined,
    });
  }
  return out;
}

export function leafCertificate(b: Bundle): string | undefined {
  const c = b.verificationMaterial.content;
  if (c.$case === 'certificate') return pem.fromDER(c.certificate.rawBytes);
  if (c.$case === 'x509CertificateChain' && c.x509CertificateChain.certificates[0]) return pem.fromDER(c.x509CertificateChain.certificates[0].rawBytes);
  return undefined;
}

/** Checks a DSSE bundle's signature with a PEM public key (key-signed bundles). */
export function dsseVerifiesWith(b: Bundle, publicKeyPem: string): boolean {
  return b.content.$case === 'dsseEnvelope' && envelopeVerifiesWith(b.content.dsseEnvelope, publicKeyPem);
}

/** Checks a DSSE envelope's signatures (PAE) with a PEM public key or certificate. */
export function envelopeVerifiesWith(env: { payloadType: string; payload: Buffer; signatures: { sig: Buffer }[] }, keyOrCertPem: string): boolean {
  const pae = dsse.preAuthEncoding(env.payloadType, env.payload);
  return env.signatures.some((s) => {
    try {
      return verify('sha256', pae, keyOrCertPem, s.sig);
    } catch {
      return false;
    }
  });
}
