import { markerFiles, planMarkerWrites, readMarkers, writeMarkers } from '@orel/publish';
import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { publisherFor, stageTargetNames, targetSpec } from '../helpers.js';

/** Targets that take markers: the plan's list, else every file/bucket target of the stage. */
export function markerTargets(ctx: ReleaseContext): string[] {
  const listed = ctx.rp.plan.markers?.targets;
  return listed ?? stageTargetNames(ctx).filter((t) => !targetSpec(ctx, t).url.startsWith('github:'));
}

/**
 * Version markers (stable.txt, latest-1.2.txt...) come after verification
 * passed, so a marker never points at an unverified release; and they never
 * move backwards (releasing an older patch leaves latest.txt alone).
 */
export const markersStep: Step<ReleaseContext> = {
  name: 'markers',
  skip: (ctx) =>
    !ctx.rp.plan.markers?.files.length ? 'the plan names no version markers' : markerTargets(ctx).length === 0 ? 'no target takes markers' : undefined,
  async run(ctx) {
    const { files } = ctx.rp.plan.markers!;
    const version = ctx.rp.vars.version;
    const prerelease = ctx.rp.plan.release.prerelease ?? false;
    const notes: string[] = [];
    for (const t of markerTargets(ctx)) {
      const p = publisherFor(ctx, t);
      const current = await readMarkers(p, markerFiles(files, version, ctx.rp.vars));
      const plan = planMarkerWrites({ files, version, prerelease, current, vars: ctx.rp.vars });
      const results = await writeMarkers(p, plan.writes);
      plan.writes.forEach((w, i) => (ctx.report.markers ??= []).push({ target: t, location: results[i]!.location }));
      for (const s of plan.skipped) ctx.reporter.info(`    ${t}: ${s.file} left alone: ${s.reason}`);
      notes.push(`${t}: ${plan.writes.map((w) => w.file).join(', ') || 'none moved'}`);
    }
    return notes.join('; ');
  },
};
