// Runs a stage's steps in order. Cross-cutting concerns (skip reasons,
// reporting, timing, error wrapping) live here, not inside steps, after
// goreleaser's middleware.
import { OrelError, type Reporter, type StepOutcome } from '@orel/core';
import type { Stage, Step } from './step.js';

export interface StepRecord {
  name: string;
  status: StepOutcome['status'];
  ms?: number;
  note?: string;
  reason?: string;
}

export interface RunHooks {
  /** Called after every step, e.g. to fill the report. */
  onStep?(stage: string, rec: StepRecord): void;
}

async function runStep<C>(stageName: string, step: Step<C>, ctx: C, reporter: Reporter, hooks: RunHooks): Promise<void> {
  const reason = step.skip ? await step.skip(ctx) : undefined;
  if (reason) {
    reporter.stepEnd(stageName, step.name, { status: 'skipped', reason });
    hooks.onStep?.(stageName, { name: step.name, status: 'skipped', reason });
    return;
  }
  reporter.stepStart(stageName, step.name);
  const t0 = performance.now();
  try {
    const note = (await step.run(ctx)) ?? undefined;
    const ms = Math.round(performance.now() - t0);
    reporter.stepEnd(stageName, step.name, { status: 'done', ms, note });
    hooks.onStep?.(stageName, { name: step.name, status: 'done', ms, note });
  } catch (error) {
    const ms = Math.round(performance.now() - t0);
    reporter.stepEnd(stageName, step.name, { status: 'failed', ms, error });
    hooks.onStep?.(stageName, { name: step.name, status: 'failed', ms });
    if (error instanceof OrelError) throw error;
    throw new OrelError('INTERNAL', `${stageName}/${step.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** Runs every step of the stage in order; the first failure stops the stage. */
export async function runStage<C>(stage: Stage<C>, ctx: C, reporter: Reporter, hooks: RunHooks = {}): Promise<void> {
  for (const step of stage.steps) await runStep(stage.name, step, ctx, reporter, hooks);
}
