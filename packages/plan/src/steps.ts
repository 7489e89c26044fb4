// The built-in step lists of `orel stage` and `orel release`; a plan may
// reorder or trim them under stages.<stage>.steps.
import type { Plan, StepName } from './types.js';

// Images are resolved to digests and signed at stage time, so the stage
// manifest records exactly what `release` promotes. The manifest is written
// last, marked verified only when verification passed: `release` refuses
// a stage that was not verified.
// `preflight` checks every destination before anything is signed, logged or uploaded.
export const DEFAULT_STAGE_STEPS: readonly StepName[] = ['discover', 'check-rehearsal', 'checksum', 'preflight', 'sign', 'sign-images', 'attest-sboms', 'provenance', 'publish', 'verify', 'record'];
// VERIFY.md is written before verification so it is verified too; markers
// and drafts come last, only after everything verified.
export const DEFAULT_RELEASE_STEPS: readonly StepName[] = [
  'check-staged', 'preflight', 'promote', 'promote-images', 'notes', 'verify', 'verify-images', 'markers', 'finalize',
];

/** The steps a stage runs: the plan's list, else the default. */
export function stageSteps(plan: Plan, stage: 'stage' | 'release'): StepName[] {
  const own = plan.stages?.[stage]?.steps;
  return [...(own ?? (stage === 'stage' ? DEFAULT_STAGE_STEPS : DEFAULT_RELEASE_STEPS))];
}
