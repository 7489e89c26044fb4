// `orel merge` starts here: the shards' manifests, read from the staging
// target, become this run's artifacts, once every shard is present, of this
// build, verified, and no two staged the same thing. What spans the shards
// (checksum files over every file, provenance, SBOM attestations, their
// signatures) is made by the steps after this one; nothing a shard staged is
// uploaded again.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OrelError, mapLimit, type Artifact } from '@orel/core';
import { writeFileAtomic } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { publisherFor, recordPublished } from '../helpers.js';
import { mergeProblems, shardManifestName, type ShardManifest } from '../shard.js';
import { makesSbomAttestations, maybeSbom } from './attest-sboms.js';
import { loadStaged, readStagedManifest } from './check-staged.js';
import { imageRecords } from './images.js';
import { fetchChecked } from './verify.js';

export const loadShardsStep: Step<ReleaseContext> = {
  name: 'load-shards',
  async run(ctx) {
    const count = ctx.merge!.count;
    const found = await mapLimit(
      Array.from({ length: count }, (_, i) => i + 1),
      8,
      async (index) => (await readStagedManifest(ctx, shardManifestName({ index, count }))).manifest as ShardManifest | undefined,
    );
    const { name } = ctx.rp.plan.release;
    const problems = mergeProblems({ name, version: ctx.rp.vars.version, buildId: ctx.rp.vars.buildId, count }, found);
    if (problems.length) {
      throw new OrelError('INTEGRITY', `the ${count} shards of ${name} ${ctx.rp.vars.version} (build ${ctx.rp.vars.buildId}) cannot be merged; nothing was written`, {
        details: problems,
        hint: 'stage the shards named above again (`orel stage --shard I/N` with the same --build-id), then merge',
      });
    }
    const shards = found as ShardManifest[];
    const fromShards = new Set<string>();
    for (const m of shards) {
      loadStaged(ctx, { ...m, images: undefined });
      for (const a of m.artifacts) {
        fromShards.add(a.name);
        for (const s of a.staged) recordPublished(ctx, a, s.target, s.key, s.location);
      }
    }
    // Images in the plan's order, as one stage lists them.
    const order = new Map((ctx.rp.plan.images ?? []).map((i, k) => [i.name, k]));
    const images = shards.flatMap((m) => (m.images ?? []) as { name: string }[]);
    if (images.length) ctx.report.images = images.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
    ctx.run.fromShards = fromShards;
    const local = makesSbomAttestations(ctx) ? await fetchSboms(ctx, ctx.artifacts.list(maybeSbom)) : 0;
    return `${fromShards.size} artifacts and ${imageRecords(ctx).length} images from ${count} shards${local ? `; ${local} possible SBOMs fetched to attest` : ''}`;
  },
};

/** The possible SBOMs, fetched from where a shard staged them (checked against its size and digest) so they can be read and attested. */
async function fetchSboms(ctx: ReleaseContext, sboms: Artifact[]): Promise<number> {
  const dir = join(ctx.workDir, 'sboms');
  await mkdir(dir, { recursive: true });
  await mapLimit(sboms, 4, async (a) => {
    const staged = (a as Artifact & { staged?: { target: string; key: string }[] }).staged?.[0];
    if (!staged) throw new OrelError('INTEGRITY', `shard manifest entry ${a.name} has no staged location`);
    const bytes = await fetchChecked(publisherFor(ctx, staged.target), staged.key, a);
    const path = join(dir, a.name);
    await writeFileAtomic(path, bytes);
    ctx.artifacts.upsert({ ...a, path });
  });
  return sboms.length;
}
