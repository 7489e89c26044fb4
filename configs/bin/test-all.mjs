#!/usr/bin/env node
// The whole test suite: nx builds, type-checks (tests included), lints and
// tests every project on this Node.js, then runs the test targets again on
// each pinned runtime of --runtimes (default 22,24; tools/runtimes), and
// prints one closing line summing node's test runner results across them.
// Unit suites run in full on every runtime; the e2e files (most of the time)
// are split over the runtimes by their measured seconds (e2e/weights.json),
// so each runs once, on one of them, and the whole run stays within CI's time.
//
//   node configs/bin/test-all.mjs [--runtimes 22,24|none] [nx options...]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const at = argv.findIndex((a) => a === '--runtimes' || a.startsWith('--runtimes='));
const runtimesArg = at < 0 ? (process.env.OREL_TEST_RUNTIMES ?? '22,24') : argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
const nxArgs = at < 0 ? argv : argv.filter((_, i) => i !== at && (argv[at].includes('=') || i !== at + 1));
const runtimes = runtimesArg === 'none' ? [] : runtimesArg.split(',').filter(Boolean);
const env = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', METADATA_SERVER_DETECTION: 'none', ...process.env };

const totals = { pass: 0, fail: 0, skipped: 0, todo: 0 };
const failed = [];
/** Runs a command, echoing its output and adding node test runner summary lines to the totals. */
function counted(label, cmd, args, part) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: part ? { OREL_E2E_PART: part, ...env } : env });
    let buf = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        // Summary lines: "ℹ pass 12" (spec; colored on Node 24 even when piped) or "# pass 12" (tap).
        const line = buf.slice(0, i).replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
        buf = buf.slice(i + 1);
        const m = /^(?:.*\s)?(?:ℹ|#) (pass|fail|skipped|todo) (\d+)\s*$/.exec(line);
        if (m) totals[m[1]] += Number(m[2]);
      }
    });
    child.on('close', (code) => {
      if (code !== 0) failed.push(label);
      resolve();
    });
  });
}

const parts = runtimes.length + 1;
const part = (i) => (runtimes.length ? `${i}/${parts}` : undefined);
await counted(`node ${process.versions.node}`, 'npx', ['nx', 'run-many', '-t', 'build', 'typecheck', 'lint', 'test', '--outputStyle=static', ...nxArgs], part(1));
const testOn = fileURLToPath(new URL('../../tools/runtimes/src/test-on.mjs', import.meta.url));
const projects = nxArgs.filter((a) => a.startsWith('--projects=')); // a narrowed run stays narrow on every runtime
for (const [i, major] of runtimes.entries()) await counted(`node ${major}`, process.execPath, [testOn, '--node', major, ...projects], part(i + 2));
console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped${runtimes.length ? ` (Node.js ${process.versions.node}, ${runtimes.join(', ')})` : ''}${failed.length ? `; failing runs: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
