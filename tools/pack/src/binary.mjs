// The self-contained orel for linux-x64: the installable package (build.mjs)
// with its bundled dependencies, a Node.js runtime beside it, and a launcher,
// in one directory and tarball — a machine without Node runs `orel-linux-x64/orel`.
// The runtime is the pinned Node.js 24 (tools/runtimes; OREL_NODE=/path/to/node
// for another one), and the optional native pkcs11js is built against its
// headers, so PKCS#11 plans work from the tarball too.
//
//   node tools/pack/src/binary.mjs [--out DIR]   (after build.mjs)
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeRuntime, runtimeEnv } from '../../runtimes/src/node-runtime.mjs';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO, 'out/binary') }, package: { type: 'string', default: join(REPO, 'out/npm/orel') } } });
if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the binary is built for linux-x64, not ${process.platform}-${process.arch}`);
const out = resolve(values.out);
const dir = join(out, 'orel-linux-x64');
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'runtime'), { recursive: true });
cpSync(resolve(values.package), join(dir, 'lib'), { recursive: true });
const runtime = process.env.OREL_NODE ? { node: process.env.OREL_NODE, bin: dirname(process.env.OREL_NODE), home: resolve(dirname(process.env.OREL_NODE), '..') } : nodeRuntime(24);
cpSync(runtime.node, join(dir, 'runtime/node'));
chmodSync(join(dir, 'runtime/node'), 0o755);
// The shrinkwrap's tree again, now with install scripts and the optional pkcs11js, compiled
// (node-gyp) against the shipped runtime's headers; from npm's cache, nothing fetched.
const npm = spawnSync('npm', ['ci', '--offline', '--omit=dev', '--no-audit', '--no-fund'], { cwd: join(dir, 'lib'), encoding: 'utf8', env: runtimeEnv(runtime) });
if (npm.status !== 0) throw new Error(`npm ci --offline in ${join(dir, 'lib')} failed (run \`npm ci\` at the repository root first, to fill npm's cache):\n${npm.stderr}`);
// The launcher: the bundled runtime, whatever node (if any) is on PATH.
writeFileSync(
  join(dir, 'orel'),
  `#!/bin/sh
# orel, self-contained: runs with its own Node.js runtime.
here=$(dirname "$(readlink -f "$0")")
exec "$here/runtime/node" "$here/lib/dist/orel.js" "$@"
`,
);
chmodSync(join(dir, 'orel'), 0o755);
const tarball = join(out, 'orel-linux-x64.tar.gz');
const tar = spawnSync('tar', ['-czf', tarball, '-C', dirname(dir), basename(dir)], { encoding: 'utf8' });
if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
console.log(tarball);
