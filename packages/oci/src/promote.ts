// Promotion: copy an image by digest (index, every platform manifest, every
// blob; mounted when both repositories are on one registry) and its
// signatures and attestations (`.sig` / `.att` manifests merged, referrers and their fallback index)
// from staging to a release repository, then apply release tags. A tag that
// points at another digest is refused unless it is mutable. Re-runs copy
// nothing new and change nothing.
import { DEFAULT_CONCURRENCY, OrelError, mapLimit } from '@orel/core';
import type { RegistryClient } from './client.js';
import { isIndex, ANN_SIGNATURE, attTag, sigTag, type Descriptor, type ImageIndex, type ImageManifest } from './media.js';
import { addToFallbackIndex } from './referrers.js';
import { sigManifest } from './simplesigning.js';

export interface RepoHandle {
  client: RegistryClient;
  /** Repository path on the client's registry (no host). */
  repo: string;
}

export interface PromoteOptions {
  from: RepoHandle;
  to: RepoHandle;
  digest: string;
  tags?: string[];
  /** Tags allowed to move (like "latest"). */
  mutableTags?: string[];
  /** Parallel blob copies (default 8). */
  concurrency?: number;
}

export interface PromoteResult {
  digest: string;
  manifests: { copied: number; existing: number };
  blobs: { copied: number; mounted: number; existing: number };
  signatures: { layersAdded: number; referrersAdded: number };
  tags: Record<string, 'created' | 'exists' | 'moved'>;
}

const name = (h: RepoHandle): string => `${h.client.host}/${h.repo}`;

export async function promoteImage(o: PromoteOptions): Promise<PromoteResult> {
  const res: PromoteResult = {
    digest: o.digest,
    manifests: { copied: 0, existing: 0 },
    blobs: { copied: 0, mounted: 0, existing: 0 },
    signatures: { layersAdded: 0, referrersAdded: 0 },
    tags: {},
  };
  const tags = o.tags ?? [];
  const mutable = new Set(o.mutableTags ?? []);

  // Refuse before writing anything: a release tag never silently moves.
  const current = new Map<string, string | undefined>();
  const conflicts: string[] = [];
  for (const tag of tags) {
    const d = (await o.to.client.headManifest(o.to.repo, tag))?.digest;
    current.set(tag, d);
    if (d && d !== o.digest && !mutable.has(tag)) conflicts.push(`${name(o.to)}:${tag} points at ${d}, wanted ${o.digest}`);
  }
  if (conflicts.length) {
    throw new OrelError('PUBLISH_CONFLICT', `release tag already points at a different image: ${conflicts.join('; ')}`, {
      details: conflicts,
      hint: 'release tags are immutable; list the tag under images[].mutableTags if it is meant to move (like "latest")',
    });
  }

  const copier = new Copier(o.from, o.to, o.concurrency ?? DEFAULT_CONCURRENCY, res);
  const children = await copier.copyManifest(o.digest);
  for (const d of [o.digest, ...children]) {
    for (const tag of [sigTag(d), attTag(d)]) res.signatures.layersAdded += await copier.copySignatureTag(tag);
    res.signatures.referrersAdded += await copier.copyReferrers(d);
  }

  const src = await o.from.client.getManifest(o.from.repo, o.digest);
  for (const tag of tags) {
    const was = current.get(tag);
    if (was === o.digest) {
      res.tags[tag] = 'exists';
      continue;
    }
    await o.to.client.putManifest(o.to.repo, tag, src!.bytes, src!.mediaType);
    res.tags[tag] = was ? 'moved' : 'created';
  }
  return res;
}

class Copier {
  private readonly sameRegistry: boolean;
  constructor(
    private readonly from: RepoHandle,
    private readonly to: RepoHandle,
    private readonly concurrency: number,
    private readonly res: PromoteResult,
  ) {
    this.sameRegistry = from.client.baseUrl === to.client.baseUrl;
  }

  /** Copies a manifest and everything under it, children first; returns the digests of an index's children. */
  async copyManifest(digest: string, ref = digest): Promise<string[]> {
    const m = await this.from.client.getManifest(this.from.repo, digest);
    if (!m) throw new OrelError('PUBLISH_FAILED', `${name(this.from)}@${digest} not found; cannot promote it`);
    const body = JSON.parse(m.bytes.toString('utf8'));
    const children: string[] = [];
    if (await this.to.client.headManifest(this.to.repo, digest)) {
      this.res.manifests.existing++;
      if (isIndex(m.mediaType)) children.push(...(body as ImageIndex).manifests.map((c) => c.digest));
      if (ref !== digest) await this.to.client.putManifest(this.to.repo, ref, m.bytes, m.mediaType);
      return children;
    }
    if (isIndex(m.mediaType)) {
      for (const c of (body as ImageIndex).manifests) {
        await this.copyManifest(c.digest);
        children.push(c.digest);
      }
    } else {
      const im = body as ImageManifest;
      const blobs = [im.config, ...(im.layers ?? [])].filter((b): b is Descriptor => !!b?.digest && !b.urls?.length);
      await mapLimit(dedupe(blobs), this.concurrency, (b) => this.copyBlob(b));
    }
    await this.to.client.putManifest(this.to.repo, ref, m.bytes, m.mediaType);
    if (ref !== digest) await this.to.client.putManifest(this.to.repo, digest, m.bytes, m.mediaType);
    this.res.manifests.copied++;
    return children;
  }

  async copyBlob(b: Descriptor): Promise<void> {
    const { client, repo } = this.to;
    if ((await client.headBlob(repo, b.digest)) !== undefined) {
      this.res.blobs.existing++;
      return;
    }
    if (this.sameRegistry && (await client.mountBlob(repo, b.digest, this.from.repo))) {
      this.res.blobs.mounted++;
      return;
    }
    const stream = await this.from.client.getBlob(this.from.repo, b.digest);
    await client.uploadBlob(repo, b.digest, stream, b.size);
    this.res.blobs.copied++;
  }

  /** Merges the source's `.sig` (or `.att`) layers into the destination's; returns the number of layers added. */
  async copySignatureTag(tag: string): Promise<number> {
    const src = await this.from.client.getManifest(this.from.repo, tag);
    if (!src) return 0;
    const dst = await this.to.client.getManifest(this.to.repo, tag);
    if (!dst) {
      await this.copyManifest(src.digest, tag);
      return (JSON.parse(src.bytes.toString('utf8')) as ImageManifest).layers.length;
    }
    if (dst.digest === src.digest) return 0;
    const have = (JSON.parse(dst.bytes.toString('utf8')) as ImageManifest).layers ?? [];
    const key = (l: Descriptor): string => `${l.digest} ${l.annotations?.[ANN_SIGNATURE] ?? ''}`;
    const seen = new Set(have.map(key));
    const add = ((JSON.parse(src.bytes.toString('utf8')) as ImageManifest).layers ?? []).filter((l) => !seen.has(key(l)));
    if (add.length === 0) return 0;
    await mapLimit(dedupe(add), this.concurrency, (b) => this.copyBlob(b));
    const built = sigManifest([...have, ...add]);
    await this.to.client.uploadBlob(this.to.repo, built.configDescriptor.digest, built.config);
    await this.to.client.putManifest(this.to.repo, tag, built.manifest, src.mediaType);
    return add.length;
  }

  /** Copies referrer artifacts (bundles...) and records them in the destination's fallback index when needed. */
  async copyReferrers(digest: string): Promise<number> {
    const { manifests } = await this.from.client.referrers(this.from.repo, digest);
    if (manifests.length === 0) return 0;
    let added = 0;
    const missing: Descriptor[] = [];
    for (const d of manifests) {
      if (!(await this.to.client.headManifest(this.to.repo, d.digest))) added++;
      await this.copyManifest(d.digest);
      missing.push(d);
    }
    if (!(await this.to.client.supportsReferrersApi(this.to.repo))) await addToFallbackIndex(this.to.client, this.to.repo, digest, ...missing);
    return added;
  }
}

function dedupe(ds: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return ds.filter((d) => !seen.has(d.digest) && !!seen.add(d.digest));
}
