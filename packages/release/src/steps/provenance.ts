// The release's SLSA v1 provenance, signed as a DSSE Sigstore bundle with the
// plan's signer (and its transparency log / TSA), published beside the
// artifacts as <name>-<version>.intoto.sigstore.json. Made once per stage: a
// re-run reuses the signed bundle the journal recorded (its bytes may
// already be published; signing again would make different ones).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { and, byKind, isBuildOutput, not, or, OREL_VERSION, type Artifact } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { outputArtifact, readOutput, serializeBundle, signDsseBundle, writeOutput } from '@orel/sign';
import type { ReleaseContext } from '../context.js';
import { detectBuildRun, provenanceStatement } from '../provenance.js';
import { checkCertificateIdentity } from './sign.js';

export const PROVENANCE_STEP = 'provenance';

/** The provenance bundle's file name for this release. */
export const provenanceName = (ctx: ReleaseContext): string => `${ctx.rp.plan.release.name}-${ctx.rp.vars.version}.intoto.sigstore.json`;

export const makesProvenance = (ctx: ReleaseContext): boolean => ctx.rp.plan.attestations?.provenance === true && !!ctx.signer;

/** What the provenance names: every build output and aggregate checksum file (not signatures, which it outlives). */
export const provenanceSubjects = (ctx: ReleaseContext): Artifact[] =>
  ctx.artifacts.list(and(or(isBuildOutput, and(byKind('checksum'), (a) => a.subject === undefined)), not(byKind('image'))));

/** Journal key: the file subjects' digests (images are resolved once per build); another build is attested anew. */
export const provenanceKey = (subjects: Artifact[]): string => createHash('sha256').update(JSON.stringify(subjects.map((a) => [a.name, a.sha256]))).digest('hex');

export const provenanceStep: Step<ReleaseContext> = {
  name: PROVENANCE_STEP,
  skip: (ctx) => (ctx.rp.plan.attestations?.provenance !== true ? 'the plan asks for no provenance' : !ctx.signer ? 'no signer' : undefined),
  async run(ctx) {
    const startedOn = new Date();
    const name = provenanceName(ctx);
    const dir = join(ctx.workDir, 'attestations');
    const subjects = provenanceSubjects(ctx);
    const images = ((ctx.report.images ?? []) as { repository: string; digest: string }[]).map((i) => ({ name: i.repository, digest: i.digest }));
    const key = provenanceKey(subjects);
    const done = ctx.journal.isDone(PROVENANCE_STEP, key) ? await readOutput(dir, name) : undefined;
    if (done) {
      ctx.artifacts.upsert(outputArtifact(dir, name, 'attestation', done));
      return `${name}: reused (${subjects.length + images.length} subjects)`;
    }
    await checkCertificateIdentity(ctx);
    const statement = provenanceStatement({
      release: { name: ctx.rp.plan.release.name, version: ctx.rp.vars.version },
      subjects,
      images,
      plan: { file: relative(ctx.rp.dir, ctx.rp.file), sha256: createHash('sha256').update(await readFile(ctx.rp.file)).digest('hex') },
      buildId: ctx.rp.vars.buildId,
      run: detectBuildRun(process.env, existsSync('/tekton')),
      orelVersion: OREL_VERSION,
      startedOn,
      finishedOn: new Date(),
    });
    const bundle = await signDsseBundle({ payload: Buffer.from(JSON.stringify(statement)), signer: ctx.signer!, witnesses: ctx.witnesses, what: `the provenance ${name}` });
    const bytes = serializeBundle(bundle);
    await writeOutput(dir, name, bytes);
    await ctx.journal.record(PROVENANCE_STEP, key);
    ctx.artifacts.upsert(outputArtifact(dir, name, 'attestation', bytes));
    return `${name}: ${statement.subject.length} subjects, builder ${statement.predicate.runDetails.builder.id}`;
  },
};
