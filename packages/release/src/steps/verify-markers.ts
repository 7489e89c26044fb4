import { OrelError } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { compareSemver, markerFiles, parseSemver, planMarkerWrites, readMarkers } from '@orel/publish';
import type { ReleaseContext } from '../context.js';
import { keyFor, publisherFor } from '../helpers.js';
import { markerTargets } from './markers.js';
import { VERIFY_NOTES_NAME } from './notes.js';

/**
 * Markers are what tools read first (curl stable.txt): after a release each
 * one must hold this version, or a newer version that this target really
 * released (its VERIFY.md is there). A marker moved to anything else fails.
 */
export async function markerProblems(ctx: ReleaseContext): Promise<string[]> {
  const { files } = ctx.rp.plan.markers!;
  const version = ctx.rp.vars.version;
  const problems: string[] = [];
  for (const t of markerTargets(ctx)) {
    const p = publisherFor(ctx, t);
    const current = await readMarkers(p, markerFiles(files, version, ctx.rp.vars));
    const plan = planMarkerWrites({ files, version, prerelease: ctx.rp.plan.release.prerelease ?? false, current, vars: ctx.rp.vars });
    for (const w of plan.writes) problems.push(`${t}: ${w.file} holds ${w.previous ? JSON.stringify(w.previous) : 'nothing'}, not v${version} or a newer release`);
    for (const [file, content] of current) {
      const held = content?.trim() ?? '';
      const v = parseSemver(held);
      if (!v || compareSemver(v, parseSemver(version)!) <= 0) continue;
      const vars = { ...ctx.rp.vars, version: held.replace(/^v/, ''), major: String(v.major), minor: String(v.minor), patch: String(v.patch) };
      const notesKey = keyFor({ ...ctx, rp: { ...ctx.rp, vars } }, t, { name: VERIFY_NOTES_NAME, kind: 'notes', size: 0, sha256: '', sha512: '' });
      if (!(await p.stat(notesKey))) problems.push(`${t}: ${file} holds ${held}, but ${p.location(notesKey)} is missing: no such release in this target`);
    }
  }
  return problems;
}

/** `orel verify` after a release: the version markers point at a real release. */
export const verifyMarkersStep: Step<ReleaseContext> = {
  name: 'verify-markers',
  skip: (ctx) =>
    ctx.stage !== 'release' ? 'markers belong to the release targets' : !ctx.rp.plan.markers?.files.length ? 'the plan names no version markers' : markerTargets(ctx).length === 0 ? 'no target takes markers' : undefined,
  async run(ctx) {
    const problems = await markerProblems(ctx);
    if (problems.length) {
      ctx.report.verified = false;
      throw new OrelError('VERIFY_FAILED', `${problems.length} version marker(s) do not point at this or a newer release`, { details: problems, hint: 'release again to move the markers, or restore them by hand' });
    }
    return `${ctx.rp.plan.markers!.files.length} markers checked`;
  },
};
