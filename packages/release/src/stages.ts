// The release on one screen. `orel stage` and `orel release` run these steps
// in the order the plan lists (defaults below); adding a step is adding a line.
import { OrelError } from '@orel/core';
import type { Stage, Step } from '@orel/pipeline';
import { stageSteps, type StepName } from '@orel/plan';
import type { ReleaseContext } from './context.js';
import { checkRehearsalStep } from './steps/check-rehearsal.js';
import { checkStagedStep } from './steps/check-staged.js';
import { checksumStep } from './steps/checksum.js';
import { discoverStep } from './steps/discover.js';
import { finalizeStep } from './steps/finalize.js';
import { markersStep } from './steps/markers.js';
import { notesStep } from './steps/notes.js';
import { promoteImagesStep, signImagesStep, verifyImagesStep } from './steps/images.js';
import { promoteStep } from './steps/promote.js';
import { publishStep } from './steps/publish.js';
import { recordStep } from './steps/record.js';
import { signStep } from './steps/sign.js';
import { verifyStep } from './steps/verify.js';
import { preflightStep } from './steps/preflight.js';
import { provenanceStep } from './steps/provenance.js';
import { attestSbomsStep } from './steps/attest-sboms.js';
import { loadStagedStep } from './steps/load-staged.js';
import { loadShardsStep } from './steps/load-shards.js';
import { verifyMarkersStep } from './steps/verify-markers.js';

export const STEPS: Partial<Record<StepName, Step<ReleaseContext>>> = {
  discover: discoverStep, // find the build output, hash each file once
  'check-rehearsal': checkRehearsalStep, // --nomock: the build must be what the mock rehearsal staged
  checksum: checksumStep, // SHA256SUMS / SHA512SUMS / <file>.sha256
  preflight: preflightStep, // every destination checked before anything is signed, logged or written
  sign: signStep, // bundles, .sig (+ .cert keyless), cosign.pub
  'sign-images': signImagesStep, // resolve tags to digests once; cosign signatures + bundle referrers
  'attest-sboms': attestSbomsStep, // each SBOM, schema-checked, attested for what it describes (files, images)
  provenance: provenanceStep, // SLSA v1 provenance of every file and image, a signed DSSE bundle
  publish: publishStep, // upload to the stage's targets, never overwriting
  record: recordStep, // the stage manifest: the hand-off to `orel release`
  'check-staged': checkStagedStep, // re-hash staged objects against the manifest
  promote: promoteStep, // staging → release targets, exactly the staged bytes
  'promote-images': promoteImagesStep, // copy images + signatures by digest; refuse moved tags
  notes: notesStep, // VERIFY.md: exact verification commands for this release
  verify: verifyStep, // fetch back as an end user would; digests, checksums, signatures
  'verify-images': verifyImagesStep, // pull from the release registries and verify signatures
  markers: markersStep, // stable.txt, latest-X.Y.txt: only after verification, never backwards
  finalize: finalizeStep, // publish drafts (GitHub) only after verification passed
};

/**
 * `orel verify`: load the stage manifest, then verify the stage's or the
 * release's targets as an end user would (files, VERIFY.md, images, markers).
 */
export const VERIFY_STEPS: readonly Step<ReleaseContext>[] = [
  loadStagedStep, // the stage manifest becomes the run's artifacts (+ VERIFY.md rendered again)
  verifyStep, // every file from the targets: digests, checksum files, signatures, no stray files
  verifyImagesStep, // release: the images in the release registries and their signatures
  verifyMarkersStep, // release: markers hold this version or a newer real release
];

/**
 * `orel merge`: the shards' manifests become the run's artifacts, then the
 * plan's stage steps that make what spans every shard (checksum files over
 * all files, their signatures, provenance, SBOM attestations), upload it,
 * verify the whole stage and write the one stage manifest.
 */
const MERGE_STEPS: readonly StepName[] = ['checksum', 'preflight', 'sign', 'attest-sboms', 'provenance', 'publish', 'verify', 'record'];

export function buildMergeStage(ctx: ReleaseContext): Stage<ReleaseContext> {
  const steps = stageSteps(ctx.rp.plan, 'stage').filter((s) => MERGE_STEPS.includes(s)).map((s) => STEPS[s]!);
  return { name: 'stage', steps: [loadShardsStep, ...steps] };
}

/** Builds a stage from the plan's step list (or the defaults). */
export function buildStage(ctx: ReleaseContext, name: 'stage' | 'release'): Stage<ReleaseContext> {
  const steps = stageSteps(ctx.rp.plan, name).map((s) => {
    const step = STEPS[s];
    if (!step) throw new OrelError('PLAN_INVALID', `${ctx.rp.file}: step "${s}" of stage "${name}" is not available in this build of orel`);
    return step;
  });
  return { name, steps };
}
