#!/usr/bin/env node
// Runs a package's tests with node's test runner on the TypeScript sources
// (tsx, "development" export condition), so tests never need a build first.
// Usage: run-tests [dir...]  (default: src). Node 20 has no --test globs.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
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
