// orel stage | release | verify: open a session (plan + adapters), run the
// stage's steps, print the report. Exit status says how it went.
import { OrelError } from '@orel/core';
import { runStage, type StepRecord } from '@orel/pipeline';
import { STEPS, buildStage, fetchStageManifest, verifyTarget, stageTargetNames, type ReleaseReport } from '@orel/release';
import type { Command } from 'commander';
import type { GlobalOptions, Session } from '../compose.js';
import { errorJson, printReport } from '../output.js';
import { createReporter } from '../reporter.js';
import { inSession } from './session.js';

function recordStep(report: ReleaseReport, stage: string, rec: StepRecord): void {
  let s = report.stages.find((x) => x.name === stage);
  if (!s) report.stages.push((s = { name: stage, steps: [] }));
  s.steps.push(rec);
}

async function runNamed(session: Session, name: 'stage' | 'release'): Promise<void> {
  session.stage = name;
  await runStage(buildStage(session, name), session, session.reporter, { onStep: (st, rec) => recordStep(session.report, st, rec) });
}

/** Whether the staging area already holds this build's stage manifest. */
async function isStaged(session: Session): Promise<boolean> {
  if (session.state.staged) return true;
  try {
    await fetchStageManifest(session);
    return true;
  } catch (e) {
    if (e instanceof OrelError && e.code === 'VERIFY_FAILED') return false;
    throw e;
  }
}

/** Runs a stage command in a session and prints the report (or, with --json, the error as JSON too). */
function withSession(opts: GlobalOptions, stage: string, body: (s: Session) => Promise<void>): Promise<number> {
  return inSession(
    opts,
    { reporter: createReporter(opts), stage },
    async (session) => {
      await body(session);
      printReport(session.report, !!opts.json);
      // A failed verification throws (exit 3); a plan may also leave verify out of a stage.
      return 0;
    },
    (e, session) => {
      if (!opts.json) return;
      if (session) printReport({ ...session.report, verified: false, error: errorJson(e) }, true);
      else process.stdout.write(JSON.stringify({ verified: false, error: errorJson(e) }, null, 2) + '\n');
    },
  );
}

export async function stageCommand(opts: GlobalOptions): Promise<number> {
  return withSession(opts, 'stage', async (s) => {
    await runNamed(s, 'stage');
    s.state.staged = new Date().toISOString();
    await s.saveState();
  });
}

export async function releaseCommand(opts: GlobalOptions): Promise<number> {
  return withSession(opts, 'release', async (s) => {
    if (!(await isStaged(s))) {
      s.reporter.info(`nothing staged yet for ${s.rp.plan.release.name} ${s.rp.vars.version} (build ${s.state.buildId}): staging first`);
      await runNamed(s, 'stage');
      s.state.staged = new Date().toISOString();
      await s.saveState();
    }
    if (!s.rp.plan.stages?.release) throw new OrelError('PLAN_INVALID', `${s.rp.file}: the plan has no stages.release`);
    // The release report shows the release targets, not the staging area.
    s.report.artifacts = [];
    s.report.verified = false;
    await runNamed(s, 'release');
    s.state.released = new Date().toISOString();
    await s.saveState();
  });
}

export async function verifyCommand(opts: GlobalOptions & { stage?: string }): Promise<number> {
  return withSession(opts, 'verify', async (s) => {
    const stage = opts.stage ?? (s.state.released || !s.state.staged ? 'release' : 'stage');
    if (stage !== 'stage' && stage !== 'release') throw new OrelError('USAGE', `--stage must be "stage" or "release", not "${stage}"`);
    const { manifest, from } = await fetchStageManifest(s);
    s.reporter.info(`verifying ${stage} targets against the stage manifest ${from}`);
    for (const entry of manifest.artifacts) {
      const { staged, ...rest } = entry;
      s.artifacts.upsert({ ...rest, extra: { ...(rest.extra ?? {}), staged } });
    }
    s.stage = stage;
    const targets = stageTargetNames(s, stage);
    if (targets.length === 0) throw new OrelError('PLAN_INVALID', `${s.rp.file}: stages.${stage} names no targets`);
    const t0 = performance.now();
    for (const t of targets) await verifyTarget(s, t);
    recordStep(s.report, 'verify', { name: 'verify', status: 'done', ms: Math.round(performance.now() - t0) });
    if (stage === 'release' && manifest.images?.length) {
      // Images too: pulled from the release registries, signatures checked.
      s.report.images = manifest.images;
      await runStage({ name: 'verify', steps: [STEPS['verify-images']!] }, s, s.reporter, { onStep: (st, rec) => recordStep(s.report, st, rec) });
    }
    s.report.verified = s.report.artifacts.every((a) => a.verified !== false);
  });
}

export function register(program: Command, run: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('stage')
    .description('sign everything and push it to the staging targets; record the stage manifest')
    .option('--skip-rehearsal-check', 'with --nomock: stage even if the build differs from the mock-mode rehearsal of this version')
    .action((_o, cmd: Command) => run(() => stageCommand(cmd.optsWithGlobals())));
  program
    .command('release')
    .description('promote the staged build to the release targets, verify it as an end user would, then write markers and publish drafts (stages first if nothing is staged)')
    .option('--skip-rehearsal-check', 'with --nomock: stage even if the build differs from the mock-mode rehearsal of this version')
    .action((_o, cmd: Command) => run(() => releaseCommand(cmd.optsWithGlobals())));
  program
    .command('verify')
    .description('fetch what was published and verify digests, checksum files and signatures against the stage manifest')
    .option('--stage <name>', 'which targets to verify: "stage" or "release" (default: release once released)')
    .action((_o, cmd: Command) => run(() => verifyCommand(cmd.optsWithGlobals())));
}
