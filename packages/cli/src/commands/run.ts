// orel stage | release | verify: open a session (plan + adapters), run the
// stage's steps, print the report. Exit status says how it went.
import { OrelError, byKind } from '@orel/core';
import { runStage, type StepRecord } from '@orel/pipeline';
import { VERIFY_STEPS, buildMergeStage, buildStage, fetchStageManifest, publishesNotes, renderNotes, shardLabel, type ReleaseReport } from '@orel/release';
import { jobSummary, logIndexes, writeJobSummary } from '../github-actions.js';
import { saveReportFiles } from '../report-files.js';
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
  try {
    await fetchStageManifest(session);
    return true;
  } catch (e) {
    if (e instanceof OrelError && e.code === 'VERIFY_FAILED') return false;
    throw e;
  }
}

/** Runs a command in a session and prints the report (or, with --json, the error as JSON too). */
function withSession(opts: GlobalOptions, stage: string, writes: boolean, body: (s: Session) => Promise<void>): Promise<number> {
  return inSession(
    opts,
    { reporter: createReporter(opts), stage, writes },
    async (session) => {
      await body(session);
      if (writes) {
        session.state.lastRun = { ...session.state.lastRun!, outcome: 'done' };
        await session.saveState();
      }
      printReport(session.report, !!opts.json);
      summarize(session);
      // A failed verification throws (exit 3); a plan may also leave verify out of a stage.
      return 0;
    },
    (e, session) => {
      session?.fail(errorJson(e).code);
      if (session) summarize(session, errorJson(e));
      if (!opts.json) return;
      if (session) printReport({ ...session.report, verified: false, error: errorJson(e) }, true);
      else process.stdout.write(JSON.stringify({ verified: false, error: errorJson(e) }, null, 2) + '\n');
    },
  );
}

/**
 * After a run: its report as files in the work directory (report.json, the
 * HTML page, the badge; `orel report` shows them), and on GitHub Actions the
 * job summary (with VERIFY.md of a release).
 */
function summarize(s: Session, error?: { code: string; message: string }): void {
  const report = { ...s.report, ...(error && { verified: false, error }) };
  const indexes = logIndexes(s.artifacts.list(byKind('bundle')));
  // A run refused before its first write leaves the state directory as it was: no report files either.
  const recordedWork = ((s.journal as { appended?: number }).appended ?? 0) > 0;
  if (!error || recordedWork) saveReportFiles(s.workDir, report, indexes);
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const notes = s.stage === 'release' && publishesNotes(s) && !error ? renderNotes(s).bytes.toString('utf8') : undefined;
  writeJobSummary(jobSummary(report, { logIndexes: indexes, notes }));
}

async function stageOnce(s: Session): Promise<void> {
  await runNamed(s, 'stage');
  s.state.staged = new Date().toISOString();
  await s.saveState();
  if (s.shard) s.reporter.info(`shard ${shardLabel(s.shard)} staged; once every shard has: orel merge --shards ${s.shard.count} --build-id ${s.rp.vars.buildId}`);
}

/** `orel merge --shards N`: the shards' stages become one, as an unsharded `orel stage` writes it. */
export async function mergeCommand(opts: GlobalOptions): Promise<number> {
  if (opts.shards === undefined) throw new OrelError('USAGE', 'merge needs --shards N: how many shards staged this build');
  return withSession(opts, 'merge', true, async (s) => {
    s.stage = 'stage';
    await runStage(buildMergeStage(s), s, s.reporter, { onStep: (st, rec) => recordStep(s.report, st, rec) });
    s.state.staged = new Date().toISOString();
    await s.saveState();
  });
}

export async function stageCommand(opts: GlobalOptions): Promise<number> {
  return withSession(opts, 'stage', true, stageOnce);
}

export async function releaseCommand(opts: GlobalOptions): Promise<number> {
  return withSession(opts, 'release', true, async (s) => {
    if (!s.rp.plan.stages?.release) throw new OrelError('PLAN_INVALID', `${s.rp.file}: the plan has no stages.release`);
    if (!(await isStaged(s))) {
      s.reporter.info(`nothing staged yet for ${s.rp.plan.release.name} ${s.rp.vars.version} (build ${s.state.buildId}): staging first`);
      await stageOnce(s);
    }
    // The release report shows the release targets, not the staging area.
    s.report.artifacts = [];
    s.report.verified = false;
    await runNamed(s, 'release');
    s.state.released = new Date().toISOString();
    await s.saveState();
  });
}

/** `orel verify`: load the stage manifest and run the verify stage against the stage's or the release's targets. */
export async function verifyCommand(opts: GlobalOptions & { stage?: string }): Promise<number> {
  return withSession(opts, 'verify', false, async (s) => {
    const stage = opts.stage ?? (s.state.released || !s.state.staged ? 'release' : 'stage');
    if (stage !== 'stage' && stage !== 'release') throw new OrelError('USAGE', `--stage must be "stage" or "release", not "${stage}"`);
    s.stage = stage;
    if (!s.rp.plan.stages?.[stage]?.targets.length) throw new OrelError('PLAN_INVALID', `${s.rp.file}: stages.${stage} names no targets`);
    await runStage({ name: 'verify', steps: VERIFY_STEPS }, s, s.reporter, { onStep: (st, rec) => recordStep(s.report, st, rec) });
    s.report.verified = s.report.artifacts.every((a) => a.verified !== false);
  });
}

export function register(program: Command, run: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('stage')
    .description('sign everything and push it to the staging targets; record the stage manifest')
    .option('--shard <i/n>', 'stage only part i of n of the build (by a hash of each name), for `orel merge` to join; needs --build-id')
    .option('--root <dir>', "with --shard: this runner's build output is in <dir> (its part only), instead of the plan's artifacts.root")
    .option('--skip-rehearsal-check', 'with --nomock: stage even if the build differs from the mock-mode rehearsal of this version')
    .option('--identity-token <token>', 'keyless --nomock: the OIDC identity token (default: the plan, SIGSTORE_ID_TOKEN or the CI environment)')
    .option('--identity-token-file <file>', 'keyless --nomock: a file holding the OIDC identity token')
    .action((_o, cmd: Command) => run(() => stageCommand(cmd.optsWithGlobals())));
  program
    .command('merge')
    .description('join the stages of `orel stage --shard I/N` into one stage manifest: every shard present, of this build and verified; checksum files, provenance and their signatures over all of them')
    .requiredOption('--shards <n>', 'how many shards staged this build (the N of --shard I/N)')
    .option('--identity-token <token>', 'keyless --nomock: the OIDC identity token (default: the plan, SIGSTORE_ID_TOKEN or the CI environment)')
    .option('--identity-token-file <file>', 'keyless --nomock: a file holding the OIDC identity token')
    .action((_o, cmd: Command) => run(() => mergeCommand(cmd.optsWithGlobals())));
  program
    .command('release')
    .description('promote the staged build to the release targets, verify it as an end user would, then write markers and publish drafts (stages first if nothing is staged)')
    .option('--skip-rehearsal-check', 'with --nomock: stage even if the build differs from the mock-mode rehearsal of this version')
    .option('--identity-token <token>', 'keyless --nomock: the OIDC identity token (default: the plan, SIGSTORE_ID_TOKEN or the CI environment)')
    .option('--identity-token-file <file>', 'keyless --nomock: a file holding the OIDC identity token')
    .action((_o, cmd: Command) => run(() => releaseCommand(cmd.optsWithGlobals())));
  program
    .command('verify')
    .description('fetch what was published and verify digests, checksum files, signatures, VERIFY.md, images and markers against the stage manifest')
    .option('--stage <name>', 'which targets to verify: "stage" or "release" (default: release once released)')
    .action((_o, cmd: Command) => run(() => verifyCommand(cmd.optsWithGlobals())));
}
