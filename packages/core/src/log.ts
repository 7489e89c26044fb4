import type { Reporter, StepOutcome } from './ports.js';
import { redact } from './redact.js';

/** Plain line reporter (CI logs, non-TTY): one line per event on stderr, secrets redacted. */
export class LineReporter implements Reporter {
  constructor(
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
    private readonly verbose = false,
  ) {}
  info(msg: string): void {
    this.write(redact(msg));
  }
  warn(msg: string): void {
    this.write(redact(`warning: ${msg}`));
  }
  debug(msg: string): void {
    if (this.verbose) this.write(redact(`debug: ${msg}`));
  }
  stepStart(stage: string, step: string): void {
    this.write(`• ${stage}/${step}`);
  }
  stepEnd(stage: string, step: string, r: StepOutcome): void {
    if (r.status === 'done') this.write(`  ✓ ${stage}/${step} (${r.ms} ms)${r.note ? ` ${redact(r.note)}` : ''}`);
    else if (r.status === 'skipped') this.write(`  - ${stage}/${step} skipped: ${r.reason}`);
    else this.write(`  ✗ ${stage}/${step} failed after ${r.ms} ms`);
  }
  progress(step: string, done: number, total: number): void {
    // Plain output: only milestones, so CI logs stay short.
    if (done === total || done % Math.max(1, Math.ceil(total / 4)) === 0) this.write(`    ${step}: ${done}/${total}`);
  }
}

/** Discards everything (tests, --quiet). */
export const silentReporter: Reporter = {
  info() {},
  warn() {},
  debug() {},
  stepStart() {},
  stepEnd() {},
  progress() {},
};
