// What orel's own release.yaml releases, in out/dist: the npm package
// tarball (npm pack of build.mjs's package) and the self-contained linux-x64
// tarball (binary.mjs), named with the version.
//
//   node tools/pack/src/dist.mjs      (npm run dist)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const dist = join(REPO, 'out/dist');
const pkg = join(REPO, 'out/npm/orel');
const run = (cmd, args, cwd = REPO) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
run(process.execPath, [here('./build.mjs'), '--out', pkg]);
const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
run('npm', ['pack', pkg, '--pack-destination', dist, '--silent']);
const tarball = run(process.execPath, [here('./binary.mjs'), '--package', pkg, '--out', join(REPO, 'out/binary')]);
copyFileSync(tarball, join(dist, `orel-${version}-linux-x64.tar.gz`));
console.log(dist);
