#!/usr/bin/env node
// The whole test suite: nx builds, type-checks (tests included), lints and
// tests every project, then this
// prints one closing line summing node's test runner results across them.
import { spawn } from 'node:child_process';

const args = ['nx', 'run-many', '-t', 'build', 'typecheck', 'lint', 'test', '--outputStyle=static', ...process.argv.slice(2)];
const child = spawn('npx', args, {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', METADATA_SERVER_DETECTION: 'none', ...process.env },
});
const totals = { pass: 0, fail: 0, skipped: 0, todo: 0 };
let buf = '';
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  buf += d.toString('utf8');
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    // node --test spec reporter summary lines: "ℹ pass 12" (tap: "# pass 12")
    const m = /^(?:.*\s)?(?:ℹ|#) (pass|fail|skipped|todo) (\d+)\s*$/.exec(line);
    if (m) totals[m[1]] += Number(m[2]);
  }
});
child.on('close', (code) => {
  console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
  process.exit(code ?? 1);
});
