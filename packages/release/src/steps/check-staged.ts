import { OrelError, mapLimit } from '@orel/core';
import { validateStageManifest, type StageManifest } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import { verifyDigests } from '@orel/verify';
import { readFile } from 'node:fs/promises';
import type { ReleaseContext } from '../context.js';
import { keyFor, publisherFor, stageTargetNames } from '../helpers.js';
import { STAGE_MANIFEST_NAME, localStageManifestPath, stageManifestArtifact } from './record.js';
import { readAll } from '../read.js';

/** Fetches the stage manifest from the first staging target. */
export async function fetchStageManifest(ctx: ReleaseContext): Promise<{ manifest: StageManifest; text: string; from: string }> {
  const found = await readStagedManifest(ctx, STAGE_MANIFEST_NAME);
  if (!found.manifest) {
    throw new OrelError('VERIFY_FAILED', `no stage manifest at ${found.from}: ${ctx.rp.plan.release.name} ${ctx.rp.vars.version} (build ${ctx.rp.vars.buildId}) was not staged`, {
      hint: 'run `orel stage` first (or `orel release`, which stages when nothing is staged), or pass the --build-id that was staged',
    });
  }
  checkStageIdentity(ctx, found.manifest, found.from);
  return { manifest: found.manifest, text: found.text, from: found.from };
}

/** Reads a manifest (the stage's or a shard's) from the first staging target; no manifest when there is none. */
export async function readStagedManifest(ctx: ReleaseContext, name: string): Promise<{ manifest?: StageManifest; text: string; from: string }> {
  const source = stageTargetNames(ctx, 'stage')[0];
  if (!source) throw new OrelError('PLAN_INVALID', `${ctx.rp.file}: stages.stage names no targets, so there is nothing to release from`);
  const p = publisherFor(ctx, source);
  const key = keyFor(ctx, source, stageManifestArtifact({ name }));
  const from = p.location(key);
  if (!(await p.stat(key))) return { text: '', from };
  const text = (await readAll(await p.read(key))).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new OrelError('INTEGRITY', `stage manifest ${from} is not valid JSON: ${(e as Error).message}`);
  }
  return { manifest: validateStageManifest(doc, from), text, from };
}

/**
 * A stage manifest is released only under the name, version and build id it
 * was staged with: an old stage is never released as a new version.
 */
export function checkStageIdentity(ctx: ReleaseContext, m: StageManifest, from: string): void {
  const want = { name: ctx.rp.plan.release.name, version: ctx.rp.vars.version, buildId: ctx.rp.vars.buildId };
  const diffs = (['name', 'version', 'buildId'] as const).filter((k) => m.release[k] !== want[k]).map((k) => `${k} "${m.release[k]}" (this run: "${want[k]}")`);
  if (diffs.length) {
    throw new OrelError('INTEGRITY', `the stage manifest at ${from} is for another release: ${diffs.join(', ')}; nothing was released`, {
      hint: 'stage this build first (`orel stage`), with a staging layout that keeps versions and builds apart (e.g. "stage/{version}/{buildId}/{name}")',
    });
  }
}

/** A stage is released only when its own post-publish verification passed. */
export function checkStageVerified(m: StageManifest, from: string): void {
  if (m.verified !== true) {
    throw new OrelError('INTEGRITY', `the stage at ${from} did not pass verification; nothing was released`, {
      hint: 'stage again with a new --build-id, with `verify` among stages.stage.steps, and release once it verifies',
    });
  }
}

/** The staged artifacts (and images) become this run's artifacts. */
export function loadStaged(ctx: ReleaseContext, manifest: StageManifest): void {
  for (const entry of manifest.artifacts) ctx.artifacts.upsert(entry);
  if (manifest.images) ctx.report.images = manifest.images;
}

/**
 * Re-hashes every staged object against the stage manifest before anything
 * is promoted: the release publishes exactly what was staged (and signed).
 */
export const checkStagedStep: Step<ReleaseContext> = {
  name: 'check-staged',
  async run(ctx) {
    const { manifest, text, from } = await fetchStageManifest(ctx);
    checkStageVerified(manifest, from);
    // The local copy (when this machine staged) must agree with the remote one.
    const local = await readFile(localStageManifestPath(ctx), 'utf8').catch(() => undefined);
    if (local !== undefined && local !== text) {
      throw new OrelError('INTEGRITY', `the stage manifest at ${from} differs from the one this machine wrote (${localStageManifestPath(ctx)})`, {
        hint: 'someone changed the staging area after staging; re-stage with a new --build-id',
      });
    }
    let n = 0;
    const problems: string[] = [];
    await mapLimit(manifest.artifacts, 8, async (entry) => {
      const staged = entry.staged[0];
      if (!staged) throw new OrelError('INTEGRITY', `${from}: artifact ${entry.name} has no staged location`);
      const p = publisherFor(ctx, staged.target);
      try {
        await verifyDigests(`${entry.name} (${p.location(staged.key)})`, await p.read(staged.key), entry);
      } catch (e) {
        problems.push((e as Error).message);
      }
      ctx.reporter.progress('check-staged', ++n, manifest.artifacts.length);
    });
    if (problems.length > 0) {
      throw new OrelError('INTEGRITY', `staged objects do not match the stage manifest ${from}; nothing was released`, { details: problems.sort() });
    }
    loadStaged(ctx, manifest);
    return `${manifest.artifacts.length} staged objects match the manifest`;
  },
};
