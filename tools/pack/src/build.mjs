// Builds the installable npm package of the orel CLI: the workspace packages
// bundled into one ESM file (esbuild), every third-party dependency declared
// at the version this checkout tested (pkcs11js optional: only PKCS#11 plans
// need it), plus the data files the code reads beside itself (SBOM schemas,
// the public-good trusted root). Prints the package directory.
//
//   node tools/pack/src/build.mjs [--out DIR]
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { shrinkwrapTree } from './shrinkwrap.mjs';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO, 'out/npm/orel') } } });
const out = resolve(values.out);

/** Every workspace package's manifest, by name. */
function workspacePackages() {
  const dir = join(REPO, 'packages');
  return new Map(
    readdirSync(dir)
      .map((d) => ({ ...JSON.parse(readFileSync(join(dir, d, 'package.json'), 'utf8')), dir: join(dir, d) }))
      .map((p) => [p.name, p]),
  );
}

/** The third-party dependencies of the CLI and every workspace package it uses, at their installed versions. */
function thirdParty(ws) {
  const deps = new Map();
  const lockKeys = new Map();
  const optional = new Map();
  const seen = new Set();
  const installed = (name, from) => {
    // The version the workspace package resolves (a nested copy wins over the hoisted one), found
    // from its resolved entry up to its own manifest (exports may hide package.json).
    let dir = dirname(createRequire(join(from, 'package.json')).resolve(name));
    while (dir !== dirname(dir)) {
      try {
        const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        if (p.name === name) return p.version;
      } catch {
        // no manifest here: keep walking up
      }
      dir = dirname(dir);
    }
    throw new Error(`cannot find the installed version of ${name}`);
  };
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    const p = ws.get(name);
    for (const [d] of Object.entries(p.dependencies ?? {})) {
      if (ws.has(d)) {
        visit(d);
        continue;
      }
      const v = installed(d, p.dir);
      if (deps.has(d) && deps.get(d) !== v) throw new Error(`${d}: workspace packages use ${deps.get(d)} and ${v}; one bundle needs one version`);
      deps.set(d, v);
      const nested = `${relative(REPO, p.dir)}/node_modules/${d}`;
      lockKeys.set(d, LOCK.packages[nested] ? nested : `node_modules/${d}`);
    }
    for (const [d, range] of Object.entries(p.optionalDependencies ?? {})) optional.set(d, range);
  };
  visit('@orel/cli');
  for (const [d] of optional) if (LOCK.packages[`node_modules/${d}`]) lockKeys.set(d, `node_modules/${d}`);
  return { deps, optional, lockKeys };
}

const LOCK = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'));
const ws = workspacePackages();
const { deps, optional, lockKeys } = thirdParty(ws);
const cli = ws.get('@orel/cli');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'dist'), { recursive: true });
await build({
  entryPoints: [join(REPO, 'packages/cli/src/bin.ts')],
  outfile: join(out, 'dist/orel.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['development'],
  external: [...deps.keys(), ...optional.keys()],
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  logLevel: 'warning',
});
// Read beside the code at run time: new URL('../schemas/', import.meta.url) and '../data/…'.
cpSync(join(REPO, 'packages/sbom/schemas'), join(out, 'schemas'), { recursive: true });
cpSync(join(REPO, 'packages/verify/data'), join(out, 'data'), { recursive: true });
cpSync(join(REPO, 'README.md'), join(out, 'README.md'));
const sorted = (m) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(
  join(out, 'package.json'),
  JSON.stringify(
    {
      name: 'orel',
      version: cli.version,
      description: 'Cut a release from a YAML plan: discover, sign (Sigstore, KMS, PKCS#11, key files), publish (GCS, OCI, GitHub), verify as users do',
      type: 'module',
      license: cli.license,
      bin: { orel: 'dist/orel.js' },
      files: ['dist', 'schemas', 'data', 'README.md', 'npm-shrinkwrap.json'],
      engines: { node: '>=20' },
      dependencies: sorted(deps),
      optionalDependencies: sorted(optional),
      // Shipped inside the tarball: installing orel resolves nothing (and works offline).
      bundleDependencies: [...deps.keys()].sort(),
    },
    null,
    2,
  ) + '\n',
);
// The tested tree, exactly (npm installs a dependency's shrinkwrap as written).
const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
const tree = shrinkwrapTree(LOCK, lockKeys);
for (const [name] of optional) if (tree[`node_modules/${name}`]) tree[`node_modules/${name}`].optional = true;
writeFileSync(
  join(out, 'npm-shrinkwrap.json'),
  JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: { '': { name: pkg.name, version: pkg.version, license: pkg.license, dependencies: pkg.dependencies, optionalDependencies: pkg.optionalDependencies, bin: pkg.bin, engines: pkg.engines }, ...tree } }, null, 2) + '\n',
);
// The bundled dependencies, exactly the shrinkwrap's tree, from npm's cache. Install scripts do not
// run (protobufjs's only checks versions); the optional native pkcs11js is left to the installing npm.
const npm = spawnSync('npm', ['ci', '--offline', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: out, encoding: 'utf8' });
if (npm.status !== 0) throw new Error(`npm ci --offline in ${out} failed (run \`npm ci\` at the repository root first, to fill npm's cache):\n${npm.stderr}`);
for (const name of optional.keys()) rmSync(join(out, 'node_modules', name), { recursive: true, force: true });
console.log(out);
