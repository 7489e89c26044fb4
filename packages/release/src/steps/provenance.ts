// The release's SLSA v1 provenance, signed as a DSSE Sigstore bundle with the
// plan's signer (and its transparency log / TSA), published beside the
// artifacts as <name>-<version>.intoto.sigstore.json. Made once per stage: a
// re-run reuses the signed bundle the journal recorded (its bytes may
// already be published; signing again would make different ones).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { and, byKind, isBuildOutput, not, or, OREL_VERSION, type Artifact } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { SPANS_SHARDS } from '../shard.js';
import type { ReleaseContext } from '../context.js';
import { attestOnce } from '../attestation.js';
import { detectBuildRun, provenanceStatement, SLSA_PROVENANCE_V1 } from '../provenance.js';
import { attestImages, imageRecords, imageSubject } from './images.js';

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
  skip: (ctx) => (ctx.rp.plan.attestations?.provenance !== true ? 'the plan asks for no provenance' : !ctx.signer ? 'no signer' : ctx.shard ? SPANS_SHARDS : undefined),
  async run(ctx) {
    const startedOn = new Date();
    const name = provenanceName(ctx);
    const subjects = provenanceSubjects(ctx);
    const images = imageRecords(ctx).map(imageSubject);
    const key = provenanceKey(subjects);
    const planBytes = await readFile(ctx.rp.file);
    const made = await attestOnce(ctx, {
      step: PROVENANCE_STEP,
      key,
      name,
      predicateType: SLSA_PROVENANCE_V1,
      what: `the provenance ${name}`,
      statement: () =>
        provenanceStatement({
          release: { name: ctx.rp.plan.release.name, version: ctx.rp.vars.version },
          subjects,
          images,
          plan: { file: relative(ctx.rp.dir, ctx.rp.file), sha256: createHash('sha256').update(planBytes).digest('hex') },
          buildId: ctx.rp.vars.buildId,
          run: detectBuildRun(process.env, existsSync('/tekton')),
          orelVersion: OREL_VERSION,
          startedOn,
          finishedOn: new Date(),
        }),
    });
    // Each image carries the provenance too, as cosign attest attaches it.
    const attached = await attestImages(ctx, made.bundle, SLSA_PROVENANCE_V1, imageRecords(ctx).map((i) => i.name));
    const onImages = attached ? `, attached to ${attached} image(s)` : '';
    return `${name}: ${made.reused ? 'reused' : 'signed'} (${subjects.length + images.length} subjects)${onImages}`;
  },
};
