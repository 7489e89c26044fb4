#!/usr/bin/env node
// Runs a package's tests with node's test runner on the TypeScript sources
// (tsx, "development" export condition), so tests never need a build first.
// Usage: run-tests [dir...] [--part-env=NAME --weights=FILE] [node --test flags]
// (default dir: src; Node 20 has no --test globs). With --part-env, when the
// environment variable NAME holds "I/N", only the I-th of N parts of the files
// (split by the seconds in FILE) runs: npm test spreads the e2e files over
// the runtimes it tests this way.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const own = (name) => process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-') && !a.startsWith('--part-env=') && !a.startsWith('--weights='));
const files = [];
function walk(dir) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'testdata' || entry === '__fixtures__') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.(ts|mts|js|mjs)$/.test(entry)) files.push(p);
  }
}
for (const r of roots.length ? roots : ['src']) {
  if (!existsSync(r)) continue;
  if (statSync(r).isDirectory()) walk(r);
  else files.push(r);
}
files.sort();
const partEnv = own('part-env');
if (partEnv && process.env[partEnv]) {
  const { parsePart, splitByWeight } = await import('../../tools/runtimes/src/parts.mjs');
  const { index, count } = parsePart(process.env[partEnv]);
  const weights = own('weights') ? JSON.parse(readFileSync(own('weights'), 'utf8')).seconds : {};
  const part = splitByWeight(files, weights, count)[index - 1];
  console.log(`# part ${index}/${count} (${partEnv}): ${part.length} of ${files.length} files: ${part.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(' ')}`);
  files.splice(0, files.length, ...part);
}
if (files.length === 0) {
  console.log('no test files');
  process.exit(0);
}
const res = spawnSync(
  process.execPath,
  ['--conditions=development', '--import', 'tsx', '--test', '--test-concurrency=1', ...flags, ...files],
  // OREL_OFFLINE: no test reaches Sigstore's public TUF repository (tests that refresh trust use loopback mirrors and say so).
  { stdio: 'inherit', env: { METADATA_SERVER_DETECTION: 'none', OREL_OFFLINE: '1', ...process.env } },
);
process.exit(res.status ?? 1);
