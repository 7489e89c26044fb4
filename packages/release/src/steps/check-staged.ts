import { OrelError, mapLimit, type Artifact } from '@orel/core';
import { validateStageManifest, type StageManifest } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import { verifyDigests } from '@orel/verify';
import { readFile } from 'node:fs/promises';
import type { ReleaseContext } from '../context.js';
import { keyFor, publisherFor, stageTargetNames } from '../helpers.js';
import { localStageManifestPath, stageManifestArtifact } from './record.js';
import { readAll } from '../read.js';

/** Fetches the stage manifest from the first staging target. */
export async function fetchStageManifest(ctx: ReleaseContext): Promise<{ manifest: StageManifest; text: string; from: string }> {
  const source = stageTargetNames(ctx, 'stage')[0];
  if (!source) throw new OrelError('PLAN_INVALID', `${ctx.rp.file}: stages.stage names no targets, so there is nothing to release from`);
  const p = publisherFor(ctx, source);
  const key = keyFor(ctx, source, stageManifestArtifact());
  if (!(await p.stat(key))) {
    throw new OrelError('VERIFY_FAILED', `no stage manifest at ${p.location(key)}: ${ctx.rp.plan.release.name} ${ctx.rp.vars.version} (build ${ctx.rp.vars.buildId}) was not staged`, {
      hint: 'run `orel stage` first (or `orel release`, which stages when nothing is staged), or pass the --build-id that was staged',
    });
  }
  const text = (await readAll(await p.read(key))).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new OrelError('INTEGRITY', `stage manifest ${p.location(key)} is not valid JSON: ${(e as Error).message}`);
  }
  return { manifest: validateStageManifest(doc, p.location(key)), text, from: p.location(key) };
}

/**
 * Re-hashes every staged object against the stage manifest before anything
 * is promoted: the release publishes exactly what was staged (and signed).
 */
export const checkStagedStep: Step<ReleaseContext> = {
  name: 'check-staged',
  async run(ctx) {
    const { manifest, text, from } = await fetchStageManifest(ctx);
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
    for (const entry of manifest.artifacts) {
      const { staged, ...rest } = entry;
      const a: Artifact = { ...rest, extra: { ...(rest.extra ?? {}), staged } };
      ctx.artifacts.upsert(a);
    }
    if (manifest.images) ctx.report.images = manifest.images;
    return `${manifest.artifacts.length} staged objects match the manifest`;
  },
};
