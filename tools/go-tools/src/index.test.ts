import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { findGoTool } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'orel-go-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('finds a tool on PATH; without a pending build, a missing one is undefined at once', () => {
  const tool = join(dir, 'orel-test-tool');
  writeFileSync(tool, '#!/bin/sh\n');
  chmodSync(tool, 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  try {
    assert.equal(findGoTool('orel-test-tool'), tool);
    const t0 = Date.now();
    assert.equal(findGoTool('orel-no-such-tool', { pending: join(dir, 'no-marker') }), undefined);
    assert.ok(Date.now() - t0 < 1000);
  } finally {
    process.env.PATH = path;
  }
});

test('waits while the build is pending: the tool appears, or the build ends without it', async () => {
  const bin = mkdtempSync(join(dir, 'bin-'));
  const pending = join(dir, 'pending');
  writeFileSync(pending, '');
  // Another thread installs the tool after 300 ms, then ends the build after 600 ms.
  const worker = new Worker(
    `const { writeFileSync, rmSync } = require('node:fs');
     setTimeout(() => writeFileSync(${JSON.stringify(join(bin, 'late-tool'))}, ''), 300);
     setTimeout(() => rmSync(${JSON.stringify(pending)}), 600);`,
    { eval: true },
  );
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    assert.equal(findGoTool('late-tool', { pending, pollMs: 50 }), join(bin, 'late-tool'));
    assert.equal(findGoTool('never-built', { pending, pollMs: 50 }), undefined);
  } finally {
    process.env.PATH = path;
    await worker.terminate();
  }
});
