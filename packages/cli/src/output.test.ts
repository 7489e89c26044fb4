import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrelError, registerSecret } from '@orel/core';
import { errorJson, printError, printReport } from './output.js';
import { capture } from './__fixtures__/capture.js';

test('printError: code, message, details and hint; exit status by code', (t) => {
  const { err } = capture(t);
  const status = printError(new OrelError('VERIFY_FAILED', '1 problem(s) verifying target release', { details: ['hello: bytes differ'], hint: 're-run orel release' }));
  assert.equal(status, 3);
  assert.equal(err.join(''), 'error[VERIFY_FAILED]: 1 problem(s) verifying target release\n  - hello: bytes differ\nhint: re-run orel release\n');
  assert.equal(printError(new OrelError('PUBLISH_CONFLICT', 'x')), 4);
  assert.equal(printError(new OrelError('PLAN_INVALID', 'x')), 2);
  assert.equal(printError(new OrelError('KEY_INVALID', 'x')), 1);
  assert.equal(printError(new Error('plain')), 1);
});

test('secrets never reach stderr or the JSON error', (t) => {
  const { err } = capture(t);
  registerSecret('s3cret-passphrase-value');
  const e = new OrelError('KEY_INVALID', 'cannot decrypt with s3cret-passphrase-value', { details: ['tried s3cret-passphrase-value'] });
  printError(e);
  assert.ok(!err.join('').includes('s3cret-passphrase-value'), err.join(''));
  assert.deepEqual(errorJson(e), { code: 'KEY_INVALID', message: 'cannot decrypt with ***', details: ['tried ***'] });
  assert.deepEqual(errorJson(new Error('boom')), { code: 'INTERNAL', message: 'boom' });
});

test('printReport: JSON with --json, one summary line otherwise', (t) => {
  const { out } = capture(t);
  const report = {
    mode: 'mock' as const,
    plan: '/p/release.yaml',
    release: { name: 'hello', version: '1.2.0' },
    sandbox: '/p/.orel/sandbox',
    stages: [],
    verified: false,
    artifacts: [
      { name: 'a', kind: 'binary', size: 1, sha256: 'x', published: [], signatures: [], verified: true },
      { name: 'b', kind: 'binary', size: 1, sha256: 'y', published: [], signatures: [], verified: false },
    ],
  };
  printReport(report, true);
  assert.deepEqual(JSON.parse(out.join('')), report);
  out.length = 0;
  printReport(report, false);
  assert.equal(out.join(''), 'hello 1.2.0 (mock): 2 files in the sandbox /p/.orel/sandbox; 1 artifact(s) failed verification\n');
});
