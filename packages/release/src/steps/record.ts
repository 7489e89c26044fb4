import { writeStageManifest, type StageManifest } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import { digestFile } from '@orel/manifest';
import { basename, join } from 'node:path';
import type { Artifact } from '@orel/core';
import type { ReleaseContext } from '../context.js';
import { keyFor, publishable, publisherFor, stageTargetNames } from '../helpers.js';
import { noTargets } from './publish.js';
import { shardManifestName, type ShardSpec } from '../shard.js';

export const STAGE_MANIFEST_NAME = 'orel-stage-manifest.json';

/** The manifest artifact's record, used to compute its key in a staging target. */
export function stageManifestArtifact(fields: Partial<Artifact> = {}): Artifact {
  return { name: STAGE_MANIFEST_NAME, kind: 'manifest', size: 0, sha256: '', sha512: '', ...fields };
}

export function localStageManifestPath(ctx: ReleaseContext): string {
  return join(ctx.workDir, STAGE_MANIFEST_NAME);
}

/**
 * Writes the stage manifest (names, sizes, digests, signatures, where each
 * thing was staged): the hand-off from `orel stage` to `orel release`. A
 * shard writes its part's manifest instead, for `orel merge`.
 */
export const recordStep: Step<ReleaseContext> = {
  name: 'record',
  skip: noTargets,
  async run(ctx) {
    const targets = stageTargetNames(ctx);
    // A resumed run writes the same bytes again (same createdAt), so the
    // staged copy counts as done instead of conflicting.
    const createdAt = (ctx.journal.get('record', 'createdAt') as string | undefined) ?? new Date().toISOString();
    await ctx.journal.record('record', 'createdAt', createdAt);
    const manifest: StageManifest & { shard?: ShardSpec } = {
      apiVersion: 'orel.dev/v1',
      kind: 'StageManifest',
      release: { name: ctx.rp.plan.release.name, version: ctx.rp.vars.version, buildId: ctx.rp.vars.buildId },
      createdAt,
      // Only a verification that passed in this run, on every staging target, marks the stage verified.
      verified: targets.every((t) => ctx.run.verifiedTargets.has(t)),
      artifacts: publishable(ctx).map((a) => ({
        ...a,
        staged: targets.map((t) => {
          const key = keyFor(ctx, t, a);
          return { target: t, key, location: publisherFor(ctx, t).location(key) };
        }),
      })),
      images: ctx.report.images,
      signer: ctx.signer ? { ref: ctx.signer.ref, publicKeyPem: ctx.trust.publicKeyPem } : undefined,
      ...(ctx.shard && { shard: ctx.shard }),
    };
    const file = ctx.shard ? join(ctx.workDir, shardManifestName(ctx.shard)) : localStageManifestPath(ctx);
    await writeStageManifest(file, manifest);
    const d = await digestFile(file);
    const me = stageManifestArtifact({ name: basename(file), path: file, ...d });
    for (const t of targets) {
      const key = keyFor(ctx, t, me);
      await publisherFor(ctx, t).put({ key, source: { path: file }, size: d.size, sha256: d.sha256, artifact: me.name });
    }
    return `${manifest.artifacts.length} artifacts recorded${manifest.verified ? ', verified' : ' (NOT verified: `orel release` will refuse it)'}`;
  },
};
