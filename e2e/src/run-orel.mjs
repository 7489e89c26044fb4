// Runs the orel CLI from its TypeScript sources (started by the e2e tests with
// `--conditions=development --import tsx`), so e2e tests need no build.
import process from 'node:process';
import { URL } from 'node:url';

const { main } = await import(new URL('../../packages/cli/src/main.ts', import.meta.url).href);
process.exitCode = await main(['node', 'orel', ...process.argv.slice(2)]);
