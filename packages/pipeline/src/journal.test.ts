import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isOrelError } from '@orel/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal, MemoryJournal } from './journal.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'orel-journal-')));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a reopened journal resumes: recorded items and finished steps are remembered', async (t) => {
  const file = join(tempDir(t), 'state/journal.jsonl');
  const j = await FileJournal.open(file);
  assert.equal(j.isDone('sign', 'hello'), false);
  await j.record('sign', 'hello', { sig: 'MEUC' });
  await j.record('publish', 'staging:stage/1.0/hello');
  await j.stepDone('sign');

  await j.close();
  const again = await FileJournal.open(file);
  assert.equal(again.isDone('sign', 'hello'), true);
  assert.deepEqual(again.get('sign', 'hello'), { sig: 'MEUC' });
  assert.equal(again.get('publish', 'staging:stage/1.0/hello'), true);
  assert.equal(again.isStepDone('sign'), true);
  assert.equal(again.isStepDone('publish'), false);
  assert.deepEqual(Object.keys(again.entries('publish')), ['staging:stage/1.0/hello']);
  assert.deepEqual(again.entries('nothing'), {});
});

test('concurrent records are all persisted, one line each, and the journal is appended to (not rewritten)', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'journal.jsonl');
  const j = await FileJournal.open(file);
  await j.record('sign', 'first');
  const ino = statSync(file).ino;
  await Promise.all(Array.from({ length: 50 }, (_, i) => j.record('publish', `obj-${i}`, i)));
  assert.equal(statSync(file).ino, ino, 'the same file, appended to');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 51, 'one line per record: the cost of a record does not grow with the journal');
  await j.close();
  const reread = await FileJournal.open(file);
  assert.equal(Object.keys(reread.entries('publish')).length, 50);
  assert.deepEqual(readdirSync(dir), ['journal.jsonl'], 'no temp file is left behind');
  await reread.close();
});

test('a torn last line (a crash mid-write) is dropped; the records before it are kept', async (t) => {
  const file = join(tempDir(t), 'journal.jsonl');
  const j = await FileJournal.open(file);
  await j.record('sign', 'a');
  await j.close();
  appendFileSync(file, '{"s":"sign","k":"b","v":{"half');
  const again = await FileJournal.open(file);
  assert.equal(again.isDone('sign', 'a'), true);
  assert.equal(again.isDone('sign', 'b'), false);
  await again.record('sign', 'c');
  await again.close();
  const third = await FileJournal.open(file);
  assert.ok(third.isDone('sign', 'a') && third.isDone('sign', 'c'), 'the file is whole again after a resume');
  await third.close();
});

test('superseded records are compacted away when the journal is reopened', async (t) => {
  const file = join(tempDir(t), 'journal.jsonl');
  const j = await FileJournal.open(file);
  for (let i = 0; i < 500; i++) await j.record('record', 'createdAt', i);
  await j.close();
  const again = await FileJournal.open(file);
  assert.equal(again.get('record', 'createdAt'), 499);
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
  await again.close();
});

test('a damaged journal is an INTEGRITY error naming the file and line, not a silent fresh start', async (t) => {
  const file = join(tempDir(t), 'journal.jsonl');
  writeFileSync(file, '{"s":"sign","k":"a","v":true}\nnot json\n{"s":"sign","k":"b","v":true}\n');
  await assert.rejects(FileJournal.open(file), (e: unknown) => isOrelError(e, 'INTEGRITY') && e.message.includes(`${file} line 2`));
});

test('MemoryJournal behaves like the file journal', async () => {
  const j = new MemoryJournal();
  await j.record('sign', 'x', 3);
  await j.stepDone('sign');
  assert.equal(j.get('sign', 'x'), 3);
  assert.ok(j.isDone('sign', 'x') && j.isStepDone('sign') && !j.isDone('sign', 'y'));
  assert.deepEqual(j.entries('sign'), { x: 3 });
});
