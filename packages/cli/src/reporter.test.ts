import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReporter } from './reporter.js';
import { capture } from './__fixtures__/capture.js';

test('--verbose shows debug lines on a terminal too (and only with --verbose)', (t) => {
  const tty = process.stderr.isTTY;
  const ci = process.env.CI;
  process.stderr.isTTY = true;
  delete process.env.CI;
  t.after(() => {
    process.stderr.isTTY = tty;
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });
  const { err } = capture(t);
  createReporter({ verbose: true }).debug('resolved 3 layouts');
  createReporter({}).debug('not shown');
  assert.deepEqual(err.join('').trim().split('\n'), ['debug: resolved 3 layouts']);
});
