import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePart, splitByWeight } from './parts.mjs';

const files = ['src/a.e2e.test.ts', 'src/b.e2e.test.ts', 'src/c.e2e.test.ts', 'src/d.e2e.test.ts', 'src/e.e2e.test.ts'];
const seconds = { 'a.e2e.test.ts': 300, 'b.e2e.test.ts': 100, 'c.e2e.test.ts': 100, 'd.e2e.test.ts': 90, 'e.e2e.test.ts': 10 };

test('every file lands in exactly one part, and the parts are balanced by weight', () => {
  const parts = splitByWeight(files, seconds, 2);
  assert.deepEqual(parts.flat().sort(), [...files].sort());
  assert.deepEqual(parts, [['src/a.e2e.test.ts'], ['src/b.e2e.test.ts', 'src/c.e2e.test.ts', 'src/d.e2e.test.ts', 'src/e.e2e.test.ts']]);
});

test('the split does not depend on the order files are listed in', () => {
  assert.deepEqual(splitByWeight([...files].reverse(), seconds, 3).map((p) => [...p].sort()), splitByWeight(files, seconds, 3));
});

test('a file without a measured time weighs the median; one part holds everything', () => {
  const parts = splitByWeight([...files, 'src/new.e2e.test.ts'], seconds, 3);
  assert.ok(parts.some((p) => p.includes('src/new.e2e.test.ts')));
  assert.deepEqual(splitByWeight(files, seconds, 1), [files]);
  assert.deepEqual(splitByWeight(files, seconds, 7).filter((p) => p.length).length, 5, 'more parts than files: some parts are empty');
});

test('parts are written I/N', () => {
  assert.deepEqual(parsePart('2/3'), { index: 2, count: 3 });
  for (const bad of ['0/3', '4/3', '1/0', 'x', '', undefined]) assert.throws(() => parsePart(bad), /expected I\/N/);
  assert.throws(() => splitByWeight(files, seconds, 0), /positive whole number/);
});
