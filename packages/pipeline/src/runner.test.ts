import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrelError, isOrelError, type Reporter, type StepOutcome } from '@orel/core';
import { runStage, type StepRecord } from './runner.js';
import type { Step } from './step.js';

interface Ctx {
  ran: string[];
  dryRun?: boolean;
}

/** A reporter that keeps every event, in order. */
function recorder(): Reporter & { events: string[]; outcomes: Map<string, StepOutcome> } {
  const events: string[] = [];
  const outcomes = new Map<string, StepOutcome>();
  return {
    events,
    outcomes,
    info: () => undefined,
    warn: () => undefined,
    debug: () => undefined,
    progress: () => undefined,
    stepStart: (stage, step) => void events.push(`start ${stage}/${step}`),
    stepEnd: (stage, step, r) => {
      events.push(`${r.status} ${stage}/${step}`);
      outcomes.set(step, r);
    },
  };
}

const step = (name: string, run: Step<Ctx>['run'], skip?: Step<Ctx>['skip']): Step<Ctx> => ({ name, run, skip });
const marks = (name: string, note?: string): Step<Ctx> =>
  step(name, async (c) => {
    c.ran.push(name);
    return note;
  });

test('runs steps in order and reports each with its note and timing', async () => {
  const r = recorder();
  const ctx: Ctx = { ran: [] };
  const records: StepRecord[] = [];
  await runStage({ name: 'stage', steps: [marks('discover', '9 artifacts'), marks('sign')] }, ctx, r, { onStep: (_s, rec) => records.push(rec) });
  assert.deepEqual(ctx.ran, ['discover', 'sign']);
  assert.deepEqual(r.events, ['start stage/discover', 'done stage/discover', 'start stage/sign', 'done stage/sign']);
  assert.deepEqual(records.map((x) => [x.name, x.status, x.note]), [['discover', 'done', '9 artifacts'], ['sign', 'done', undefined]]);
  assert.ok(records.every((x) => typeof x.ms === 'number' && x.ms >= 0));
});

test('a skipped step is not run and its reason is reported (sync and async skip)', async () => {
  const r = recorder();
  const ctx: Ctx = { ran: [] };
  const records: StepRecord[] = [];
  const steps = [
    step('finalize', async (c) => void c.ran.push('finalize'), () => 'no target needs finalizing'),
    step('markers', async (c) => void c.ran.push('markers'), async () => 'no markers in the plan'),
    step('verify', async (c) => void c.ran.push('verify'), () => undefined),
  ];
  await runStage({ name: 'release', steps }, ctx, r, { onStep: (_s, rec) => records.push(rec) });
  assert.deepEqual(ctx.ran, ['verify']);
  assert.deepEqual(r.outcomes.get('finalize'), { status: 'skipped', reason: 'no target needs finalizing' });
  assert.deepEqual(r.outcomes.get('markers'), { status: 'skipped', reason: 'no markers in the plan' });
  assert.ok(!r.events.includes('start release/finalize'), 'a skipped step never starts');
  assert.deepEqual(records.filter((x) => x.status === 'skipped').map((x) => x.reason), ['no target needs finalizing', 'no markers in the plan']);
});

test('a failure stops the stage; a plain error is wrapped as INTERNAL naming stage and step', async () => {
  const r = recorder();
  const ctx: Ctx = { ran: [] };
  const boom = new Error('disk full');
  const records: StepRecord[] = [];
  const p = runStage(
    {
      name: 'stage',
      steps: [
        marks('discover'),
        step('publish', async () => {
          throw boom;
        }),
        marks('verify'),
      ],
    },
    ctx,
    r,
    { onStep: (_s, rec) => records.push(rec) },
  );
  await assert.rejects(p, (e) => isOrelError(e, 'INTERNAL') && e.message === 'stage/publish: disk full' && e.cause === boom);
  assert.deepEqual(ctx.ran, ['discover'], 'no step after the failing one ran');
  const out = r.outcomes.get('publish');
  assert.equal(out?.status, 'failed');
  assert.equal(out?.status === 'failed' ? out.error : undefined, boom);
  assert.deepEqual(records.map((x) => `${x.name}:${x.status}`), ['discover:done', 'publish:failed']);
});

test('an OrelError passes through unchanged (its code decides the exit status)', async () => {
  const conflict = new OrelError('PUBLISH_CONFLICT', '/x already holds different bytes');
  const p = runStage({ name: 'release', steps: [step('promote', async () => Promise.reject(conflict))] }, { ran: [] }, recorder());
  await assert.rejects(p, (e) => e === conflict);
});

test('a throwing skip() fails the stage too', async () => {
  const ctx: Ctx = { ran: [] };
  const p = runStage(
    {
      name: 'stage',
      steps: [
        step('sign', async (c) => void c.ran.push('sign'), () => {
          throw new OrelError('PLAN_INVALID', 'no signer');
        }),
      ],
    },
    ctx,
    recorder(),
  );
  await assert.rejects(p, (e) => isOrelError(e, 'PLAN_INVALID'));
  assert.deepEqual(ctx.ran, []);
});
