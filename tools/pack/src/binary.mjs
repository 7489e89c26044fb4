// The self-contained orel for linux-x64: the installable package (build.mjs)
// with its bundled dependencies, a Node.js runtime beside it, and a launcher,
// in one directory and tarball — a machine without Node runs `orel-linux-x64/orel`.
// The runtime is this build's Node (OREL_NODE=/path/to/node for another one).
//
//   node tools/pack/src/binary.mjs [--out DIR]   (after build.mjs)
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO, 'out/binary') }, package: { type: 'string', default: join(REPO, 'out/npm/orel') } } });
if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the binary is built for linux-x64, not ${process.platform}-${process.arch}`);
const out = resolve(values.out);
const dir = join(out, 'orel-linux-x64');
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'runtime'), { recursive: true });
cpSync(resolve(values.package), join(dir, 'lib'), { recursive: true });
const node = process.env.OREL_NODE ?? process.execPath;
cpSync(node, join(dir, 'runtime/node'));
chmodSync(join(dir, 'runtime/node'), 0o755);
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
