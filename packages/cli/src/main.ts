import { Command, CommanderError } from 'commander';
import { OREL_VERSION } from '@orel/core';
import { EXIT_CODES, teach, versionText } from './help.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerRun } from './commands/run.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerVerifyImage } from './commands/verify-image.js';
import { register as registerVerifyBlob } from './commands/verify-blob.js';
import { register as registerCi } from './commands/ci.js';
import { register as registerReport } from './commands/report.js';
import { register as registerPolicy } from './commands/policy.js';

export const VERSION = OREL_VERSION;


/** Runs the orel CLI; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const run = async (f: () => Promise<number>): Promise<void> => {
    status = await f();
  };
  const program = new Command('orel')
    .description('orel: cut a release from a YAML plan: discover, sign, publish, verify (mock mode by default)')
    .version(versionText(VERSION), '-V, --version', 'print the version, and those of the Sigstore libraries it signs and verifies with')
    .option('-p, --plan <file>', 'release plan (YAML)', 'release.yaml')
    .option('--nomock', 'publish to the real targets and sign with the real keys (default: mock mode on a local sandbox)')
    .option('--sandbox <dir>', 'sandbox directory for mock mode (default: .orel/sandbox next to the plan)')
    .option('--build-id <id>', 'build to stage or release (default: the last staged build, or a new timestamp)')
    .option('--release-version <semver>', "override the plan's release.version, e.g. to rehearse 1.3.0-rc.1 in mock mode")
    .option('--json', 'print a machine-readable report on stdout')
    .option('-v, --verbose', 'more detail in logs')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXIT_CODES)
    .exitOverride();
  registerPlan(program, run);
  registerRun(program, run);
  registerStatus(program, run);
  registerVerifyImage(program, run);
  registerVerifyBlob(program, run);
  registerCi(program, run);
  registerReport(program, run);
  registerPolicy(program, run);
  // Every subcommand's --help ends with examples and the exit statuses too.
  teach(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return status;
}
