import { DEFAULT_CONCURRENCY, mapLimit, type Artifact, type Publisher, type PutResult } from '@orel/core';
import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { keyFor, publishable, publisherFor, recordPublished, stageTargetNames, targetSpec } from '../helpers.js';

/** Puts one artifact unless the journal says it is already there. */
export async function putOnce(ctx: ReleaseContext, target: string, p: Publisher, a: Artifact, put: (key: string) => Promise<PutResult>): Promise<PutResult['status'] | 'journal'> {
  const key = keyFor(ctx, target, a);
  const jkey = `${target}:${key}`;
  const done = ctx.journal.get('publish', jkey) as { sha256: string; location: string } | undefined;
  if (done && done.sha256 === a.sha256) {
    recordPublished(ctx, a, target, key, done.location);
    return 'journal';
  }
  const res = await put(key);
  await ctx.journal.record('publish', jkey, { sha256: a.sha256, location: res.location });
  recordPublished(ctx, a, target, key, res.location);
  return res.status;
}

export function countStatuses(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s === 'journal' ? 'done earlier' : s}`).join(', ');
}

/** Why a step that writes to the stage's targets does not apply. */
export const noTargets = (ctx: ReleaseContext): string | undefined =>
  stageTargetNames(ctx).length === 0 ? `stage "${ctx.stage}" names no targets` : undefined;

/**
 * Puts every file artifact into every target of the stage, in parallel within
 * the target's bound, skipping what the journal says is done. `put` writes one
 * artifact at a key (upload, or promotion from staging).
 */
export async function putEverywhere(
  ctx: ReleaseContext,
  label: string,
  put: (dest: Publisher, a: Artifact, key: string) => Promise<PutResult>,
  items = publishable(ctx),
): Promise<string> {
  const statuses: string[] = [];
  // Every target is checked before the first write to any of them.
  for (const target of stageTargetNames(ctx)) await publisherFor(ctx, target).preflight?.();
  for (const target of stageTargetNames(ctx)) {
    const dest = publisherFor(ctx, target);
    let n = 0;
    statuses.push(
      ...(await mapLimit(items, targetSpec(ctx, target).concurrency ?? DEFAULT_CONCURRENCY, async (a) => {
        const s = await putOnce(ctx, target, dest, a, (key) => put(dest, a, key));
        ctx.reporter.progress(`${label} ${target}`, ++n, items.length);
        return s;
      })),
    );
  }
  return countStatuses(statuses);
}

/** Uploads every file artifact to the stage's targets (at `orel merge`, what the shards did not); never overwrites different bytes. */
export const publishStep: Step<ReleaseContext> = {
  name: 'publish',
  skip: noTargets,
  run: (ctx) =>
    putEverywhere(
      ctx,
      'publish',
      (p, a, key) => p.put({ key, source: { path: a.path! }, size: a.size, sha256: a.sha256, artifact: a.name }),
      publishable(ctx).filter((a) => !ctx.run.fromShards?.has(a.name)),
    ),
};
