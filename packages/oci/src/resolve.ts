// Resolves an image reference to the digest that gets recorded, signed and
// promoted (tags are read once, at stage time).
import { OrelError } from '@orel/core';
import type { RegistryClient } from './client.js';
import { isIndex, type Descriptor, type ImageIndex } from './media.js';
import { formatRef, parseImageRef, type ImageRef } from './reference.js';

export interface ResolvedImage {
  ref: ImageRef;
  /** registry/repository */
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  /** Platform manifests of an index (empty for a single-platform image). */
  platforms: Descriptor[];
}

export async function resolveImage(client: RegistryClient, ref: string | ImageRef): Promise<ResolvedImage> {
  const r = typeof ref === 'string' ? parseImageRef(ref) : ref;
  const m = await client.getManifest(r.repository, r.digest ?? r.tag ?? 'latest');
  if (!m) {
    throw new OrelError('PUBLISH_FAILED', `image ${formatRef(r)} not found on ${client.host}`, {
      hint: 'push it to the staging registry first, or fix images[].ref in the plan',
    });
  }
  const platforms = isIndex(m.mediaType) ? ((JSON.parse(m.bytes.toString('utf8')) as ImageIndex).manifests ?? []).filter((d) => !isAttestationManifest(d)) : [];
  return { ref: r, repository: `${r.registry}/${r.repository}`, digest: m.digest, mediaType: m.mediaType, size: m.size, platforms };
}

/** BuildKit stores attestation manifests in the index under platform unknown/unknown. */
const isAttestationManifest = (d: Descriptor): boolean =>
  d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown' && d.annotations?.['vnd.docker.reference.type'] !== undefined;
