// SBOM attestations: every SBOM the build produced (a set of kind sbom, or a
// JSON build output that is one by content) is validated against its
// published schema, then signed as an in-toto statement whose predicate is
// the SBOM and whose subjects are what it describes (attestations.sboms),
// published as <sbom>.intoto.sigstore.json and attached to the images it
// describes. An invalid SBOM stops the stage at preflight, before anything
// is signed or written, with the JSONPath of each problem.
import { createHash } from 'node:crypto';
import { OrelError, isBuildOutput, mapLimit, type Artifact } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { stageSteps } from '@orel/plan';
import { readSbom, sbomSubjects, type ReadSbom, type SbomSubjects } from '@orel/sbom';
import { inTotoStatement } from '@orel/sign';
import { SPANS_SHARDS } from '../shard.js';
import type { ReleaseContext, SbomAttestationPlan } from '../context.js';
import { attestOnce } from '../attestation.js';
import { attestImages, imageRecords, imageSubject } from './images.js';

export const ATTEST_SBOMS_STEP = 'attest-sboms';

/** The attestation of an SBOM, published beside it. */
export const sbomAttestationName = (sbom: string): string => `${sbom}.intoto.sigstore.json`;

/** The release's SBOM attestations (attestations of a file: their subject is the SBOM). */
export const sbomAttestations = (ctx: ReleaseContext): Artifact[] => ctx.artifacts.list((a) => a.kind === 'attestation' && a.subject !== undefined);

/** What the published attestation of `sbom` must name: the binding, recomputed from the plan and the release's files. */
export const publishedSbomBinding = (ctx: ReleaseContext, sbom: string): SbomSubjects | string => bindingOf(ctx, sbom, new Set(sbomAttestations(ctx).map((a) => a.subject!)));

/** What `sbom` describes among the release's build outputs that are not SBOMs (the plan's binding, its name, or the whole release). */
function bindingOf(ctx: ReleaseContext, sbom: string, sbomNames: ReadonlySet<string>): SbomSubjects | string {
  const others = ctx.artifacts.list(isBuildOutput).filter((a) => !sbomNames.has(a.name));
  const sboms = ctx.rp.plan.attestations?.sboms;
  return sbomSubjects(sbom, others.map((o) => o.name), Array.isArray(sboms) ? sboms : []);
}

export const makesSbomAttestations = (ctx: ReleaseContext): boolean =>
  !!ctx.rp.plan.attestations?.sboms && !!ctx.signer && stageSteps(ctx.rp.plan, 'stage').includes(ATTEST_SBOMS_STEP);

/** A build output that may be an SBOM: of a set of kind sbom, or JSON (looked into). */
export const maybeSbom = (a: Artifact): boolean => isBuildOutput(a) && (a.kind === 'sbom' || /\.json$/i.test(a.name));

/** The possible SBOMs there are bytes of on this machine. */
const sbomCandidates = (ctx: ReleaseContext): Artifact[] => ctx.artifacts.list(maybeSbom).filter((a) => a.path);

/**
 * Reads, validates and binds every SBOM of the build, once per run. Throws
 * SBOM_INVALID listing every problem (each SBOM, each JSONPath).
 */
export async function sbomAttestationPlans(ctx: ReleaseContext): Promise<SbomAttestationPlan[]> {
  if (ctx.run.sboms) return ctx.run.sboms;
  const problems: string[] = [];
  const found: { sbom: Artifact; read: ReadSbom }[] = [];
  await mapLimit(sbomCandidates(ctx), 4, async (a) => {
    try {
      const read = await readSbom(a.path!, a.name, a.kind === 'sbom');
      if (!read) return;
      if (read.problems.length) problems.push(...read.problems.map((p) => `${a.relPath ?? a.name}: ${read.format.label} schema: ${p.path}: ${p.message}`));
      found.push({ sbom: a, read });
    } catch (e) {
      problems.push((e as Error).message);
    }
  });
  const sbomNames = new Set(found.map((f) => f.sbom.name));
  const plans: SbomAttestationPlan[] = [];
  for (const { sbom, read } of found.sort((x, y) => (x.sbom.name < y.sbom.name ? -1 : 1))) {
    const bound = bindingOf(ctx, sbom.name, sbomNames);
    if (typeof bound === 'string') {
      problems.push(bound);
      continue;
    }
    const files = bound.files.map((n) => ctx.artifacts.get(n)!);
    const key = createHash('sha256').update(JSON.stringify([sbom.sha256, files.map((f) => [f.name, f.sha256]), bound.images])).digest('hex');
    plans.push({ sbom, format: read.format, document: read.document, files, images: bound.images, name: sbomAttestationName(sbom.name), key });
  }
  if (problems.length) {
    throw new OrelError('SBOM_INVALID', `${problems.length} problem(s) with the SBOMs to attest; nothing was signed or published`, {
      details: problems.sort(),
      hint: 'fix the SBOMs the build writes (each line names the file and the JSONPath), or bind them in attestations.sboms',
    });
  }
  ctx.run.sboms = plans;
  return plans;
}

export const attestSbomsStep: Step<ReleaseContext> = {
  name: ATTEST_SBOMS_STEP,
  skip: (ctx) => (!ctx.rp.plan.attestations?.sboms ? 'the plan asks for no SBOM attestations' : !ctx.signer ? 'no signer' : ctx.shard ? SPANS_SHARDS : undefined),
  async run(ctx) {
    const plans = await sbomAttestationPlans(ctx);
    if (plans.length === 0) return 'the build produced no SBOM';
    const notes: string[] = [];
    for (const p of plans) {
      const images = imageRecords(ctx).filter((i) => p.images.includes(i.name));
      const made = await attestOnce(ctx, {
        step: ATTEST_SBOMS_STEP,
        key: p.key,
        name: p.name,
        subject: p.sbom.name,
        predicateType: p.format.predicateType,
        what: `the SBOM attestation ${p.name}`,
        statement: () => inTotoStatement(p.format.predicateType, p.document, [...p.files, ...images.map(imageSubject)]),
      });
      await attestImages(ctx, made.bundle, p.format.predicateType, p.images);
      const n = p.files.length + p.images.length;
      notes.push(`${p.name} (${p.format.label}, ${n} subject${n === 1 ? '' : 's'}${made.reused ? ', reused' : ''})`);
    }
    return notes.join(', ');
  },
};
