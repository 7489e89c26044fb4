// orel report: the last stage/release/verify report of this build, as JSON,
// a self-contained HTML page or a badge.
import { LineReporter, OrelError } from '@orel/core';
import { writeFileAtomic } from '@orel/manifest';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { GlobalOptions } from '../compose.js';
import { badgeSvg } from '../html-report.js';
import { htmlOf, readSavedReport } from '../report-files.js';
import { inSession } from './session.js';

interface ReportOptions extends GlobalOptions {
  html?: boolean;
  badge?: boolean;
  output?: string;
}

function report(opts: ReportOptions): Promise<number> {
  return inSession(opts, { reporter: new LineReporter(() => undefined), stage: 'report', withSigner: false }, async (session) => {
    const saved = readSavedReport(session.workDir);
    if (!saved) {
      throw new OrelError('USAGE', `no report yet for ${session.rp.plan.release.name} ${session.rp.vars.version} (build ${session.state.buildId})`, {
        hint: 'run `orel stage`, `orel release` or `orel verify` first; each leaves its report',
      });
    }
    const text = opts.badge ? badgeSvg(saved) : opts.html ? htmlOf(saved) : JSON.stringify(saved, null, 2) + '\n';
    if (opts.output) await writeFileAtomic(resolve(opts.output), text);
    else process.stdout.write(text);
    return 0;
  });
}

export function register(program: Command, run: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('report')
    .description("show the last stage/release/verify report of this build: JSON, a self-contained HTML page (--html) or an SVG badge (--badge)")
    .option('--html', 'one self-contained HTML page: files, sizes, digests, signatures, log indexes, steps, the verdict')
    .option('--badge', 'an SVG badge of the verification outcome')
    .option('-o, --output <file>', 'write here instead of stdout')
    .action((_o, cmd: Command) => run(() => report(cmd.optsWithGlobals())));
}
