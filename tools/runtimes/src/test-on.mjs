// Runs the test suites on another Node.js runtime, the way a user of that
// runtime gets orel: a copy of this checkout (tracked and untracked, not
// ignored, files), `npm ci` with that runtime first on PATH (so install
// scripts, the TypeScript build and native addons — pkcs11js, compiled by
// node-gyp against the runtime's own headers — are that runtime's), then every
// project's `test` target under it. The copy is removed afterwards.
//
//   node tools/runtimes/src/test-on.mjs --node 24 [--projects a,b] [--exclude x]
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeRuntime, runtimeEnv } from './node-runtime.mjs';

const REPO = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const { values } = parseArgs({ options: { node: { type: 'string' }, projects: { type: 'string' }, exclude: { type: 'string' }, keep: { type: 'boolean', default: false } } });
if (!values.node) throw new Error('usage: test-on.mjs --node <major> [--projects a,b] [--exclude x]');

const runtime = nodeRuntime(values.node);
const label = `node ${runtime.version}`;
const say = (m) => console.log(`[${label}] ${m}`);
const work = mkdtempSync(join(tmpdir(), `orel-node${values.node}-`));
const copy = join(work, basename(REPO));
const env = runtimeEnv(runtime, { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', METADATA_SERVER_DETECTION: 'none' });

function run(cmd, args, cwd = copy) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

let status = 1;
try {
  // The checkout as it is, without node_modules, build output or caches.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(REPO, f))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    cpSync(join(REPO, f), join(copy, f), { verbatimSymlinks: true });
  }
  // Tests read the shared conformance material beside the checkout.
  if (existsSync(join(REPO, '../shared'))) symlinkSync(join(REPO, '../shared'), join(work, 'shared'));
  say(`npm ci (offline; native addons against ${runtime.home}/include/node)`);
  if ((await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'])) !== 0) throw new Error(`npm ci failed on ${label}`);
  const gyp = join(copy, 'node_modules/pkcs11js/build/config.gypi');
  const abi = execFileSync(runtime.node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
  const built = readFileSync(gyp, 'utf8');
  if (!built.includes(`"nodedir": "${runtime.home}"`) || !built.includes(`"node_module_version": ${abi},`)) throw new Error(`pkcs11js was not built against ${runtime.home} (ABI ${abi}): see ${gyp}`);
  say(`pkcs11js built against Node.js ${runtime.version}'s headers (ABI ${abi})`);
  const select = [...(values.projects ? [`--projects=${values.projects}`] : []), ...(values.exclude ? [`--exclude=${values.exclude}`] : [])];
  status = await run('npx', ['nx', 'run-many', '-t', 'test', '--outputStyle=static', ...select]);
  say(status === 0 ? 'all tests passed' : `tests failed (exit ${status})`);
} finally {
  if (values.keep) say(`kept ${copy}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(status);
