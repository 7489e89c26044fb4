// orel status: where a release stands, from the journal and state file.
import type { Command } from 'commander';
import { LineReporter } from '@orel/core';
import type { GlobalOptions } from '../compose.js';
import { inSession } from './session.js';

function status(opts: GlobalOptions): Promise<number> {
  return inSession(opts, { reporter: new LineReporter(() => undefined), stage: 'status', withSigner: false }, async (session) => {
    const j = session.journal;
    const out = {
      mode: session.mode,
      sandbox: session.sandboxDir,
      release: session.report.release,
      buildId: session.state.buildId,
      staged: session.state.staged ?? null,
      lastRun: session.state.lastRun ?? null,
      released: session.state.released ?? null,
      workDir: session.workDir,
      signed: Object.keys(j.entries('sign')).length,
      published: Object.keys(j.entries('publish')).length,
    };
    if (opts.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      process.stdout.write(
        [
          `${out.release.name} ${out.release.version} (build ${out.buildId}), ${out.mode} mode${out.sandbox ? `, sandbox ${out.sandbox}` : ''}`,
          `  staged:    ${out.staged ?? 'no'}`,
          ...(out.lastRun && out.lastRun.outcome !== 'done'
            ? [`  last run:  \`orel ${out.lastRun.command}\` ${out.lastRun.outcome === 'failed' ? `failed (${out.lastRun.error})` : 'did not finish (killed?)'}, started ${out.lastRun.started}: re-run it to resume`]
            : []),
          `  released:  ${out.released ?? 'no'}`,
          `  signed:    ${out.signed} artifacts`,
          `  published: ${out.published} objects (all targets)`,
          `  journal:   ${out.workDir}/journal.jsonl`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  });
}

export function register(program: Command, run: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('status')
    .description('show what is staged, released, signed and published for the plan (from the journal)')
    .action((_o, cmd: Command) => run(() => status(cmd.optsWithGlobals())));
}
