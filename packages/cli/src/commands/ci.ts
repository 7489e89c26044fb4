// orel ci github-actions | tekton | cloudbuild: the CI definition that runs
// the plan's release as N stage shards at once, a merge and an approved
// release, on the engine the team already runs.
import { CI_ENGINES, DEFAULT_CI, ciDefinition, type CiEngine } from '@orel/ci';
import { OrelError } from '@orel/core';
import { writeFileAtomic } from '@orel/manifest';
import { loadPlan } from '@orel/plan';
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { GlobalOptions } from '../compose.js';
import { printError } from '../output.js';

interface CiOptions extends GlobalOptions {
  shards: string;
  output?: string;
  build?: string;
  install: string;
  node: string;
  orel: string;
}

const WHERE: Record<CiEngine, string> = {
  'github-actions': '.github/workflows/release.yml',
  tekton: 'tekton/release.yaml (kubectl apply -f it; start it with tkn pipeline start)',
  cloudbuild: 'cloudbuild.yaml (a trigger with --require-approval)',
};

async function ci(engine: string, opts: CiOptions): Promise<number> {
  try {
    if (!(CI_ENGINES as readonly string[]).includes(engine)) {
      throw new OrelError('USAGE', `no CI engine "${engine}"`, { hint: `one of: ${CI_ENGINES.join(', ')}` });
    }
    const rp = await loadPlan(resolve(opts.plan), {});
    const text = ciDefinition(engine as CiEngine, {
      // The jobs run at the repository root: the plan's path from here.
      plan: relative(process.cwd(), rp.file) || rp.file,
      release: rp.plan.release.name,
      shards: Number(opts.shards),
      build: opts.build,
      install: opts.install,
      node: opts.node,
      orel: opts.orel,
    });
    if (!opts.output) process.stdout.write(text);
    else {
      await mkdir(dirname(resolve(opts.output)), { recursive: true });
      await writeFileAtomic(resolve(opts.output), text);
      process.stderr.write(`wrote ${opts.output}: commit it as ${WHERE[engine as CiEngine]}\n`);
    }
    return 0;
  } catch (e) {
    return printError(e);
  }
}

export function register(program: Command, run: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('ci')
    .description(`write the CI definition that releases the plan: N stage shards at once, merge, release after approval (${CI_ENGINES.join(' | ')})`)
    .argument('<engine>', CI_ENGINES.join(' | '))
    .option('--shards <n>', 'stage jobs running at once', String(DEFAULT_CI.shards))
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--build <command>', 'command that makes the build output in each stage job (default: none, it is in the checkout)')
    .option('--install <command>', "command that installs the project's dependencies, orel among them", DEFAULT_CI.install)
    .option('--node <major>', 'Node.js version the jobs run', DEFAULT_CI.node)
    .option('--orel <command>', 'how the jobs run orel', DEFAULT_CI.orel)
    .action((engine: string, _o, cmd: Command) => run(() => ci(engine, cmd.optsWithGlobals())));
}
