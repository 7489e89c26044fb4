// Human output: a progress bar on a TTY, plain lines in CI and pipes.
// Everything human goes to stderr, so `--json` keeps stdout machine-readable.
import { LineReporter, redact, type Reporter, type StepOutcome } from '@orel/core';
import cliProgress from 'cli-progress';
import { GitHubActionsReporter, onGitHubActions } from './github-actions.js';

class TtyReporter implements Reporter {
  private readonly lines: LineReporter;
  constructor(verbose = false) {
    this.lines = new LineReporter(undefined, verbose);
  }
  private bar?: cliProgress.SingleBar;
  private barStep?: string;

  info(msg: string): void {
    this.stopBar();
    this.lines.info(msg);
  }
  warn(msg: string): void {
    this.stopBar();
    this.lines.warn(msg);
  }
  debug(msg: string): void {
    this.lines.debug(msg);
  }
  stepStart(stage: string, step: string): void {
    this.stopBar();
    this.lines.stepStart(stage, step);
  }
  stepEnd(stage: string, step: string, r: StepOutcome): void {
    this.stopBar();
    this.lines.stepEnd(stage, step, r);
  }
  progress(step: string, done: number, total: number): void {
    if (this.barStep !== step) {
      this.stopBar();
      this.bar = new cliProgress.SingleBar(
        { format: `    ${redact(step)} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, done);
      this.barStep = step;
    }
    this.bar!.update(done);
    if (done >= total) this.stopBar();
  }
  private stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.barStep = undefined;
  }
}

export function createReporter(opts: { verbose?: boolean; quiet?: boolean }): Reporter {
  if (onGitHubActions()) return new GitHubActionsReporter(undefined, opts.verbose);
  if (process.stderr.isTTY && !process.env.CI) return new TtyReporter(opts.verbose);
  return new LineReporter(undefined, opts.verbose);
}
