import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal, MemoryJournal } from './journal.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'orel-journal-')));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a reopened journal resumes: recorded items and finished steps are remembered', async (t) => {
  const file = join(tempDir(t), 'state/journal.json');
  const j = await FileJournal.open(file);
  assert.equal(j.isDone('sign', 'hello'), false);
  await j.record('sign', 'hello', { sig: 'MEUC' });
  await j.record('publish', 'staging:stage/1.0/hello');
  await j.stepDone('sign');

  const again = await FileJournal.open(file);
  assert.equal(again.isDone('sign', 'hello'), true);
  assert.deepEqual(again.get('sign', 'hello'), { sig: 'MEUC' });
  assert.equal(again.get('publish', 'staging:stage/1.0/hello'), true);
  assert.equal(again.isStepDone('sign'), true);
  assert.equal(again.isStepDone('publish'), false);
  assert.deepEqual(Object.keys(again.entries('publish')), ['staging:stage/1.0/hello']);
  assert.deepEqual(again.entries('nothing'), {});
});

test('concurrent records are all persisted, and the file is whole JSON after each write', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'journal.json');
  const j = await FileJournal.open(file);
  const seen: number[] = [];
  await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      await j.record('publish', `obj-${i}`, i);
      // Parses or throws: a reader never sees a half-written journal.
      seen.push(Object.keys(JSON.parse(readFileSync(file, 'utf8')).steps.publish.items).length);
    }),
  );
  assert.equal(seen.length, 50);
  const reread = await FileJournal.open(file);
  assert.equal(Object.keys(reread.entries('publish')).length, 50);
  assert.deepEqual(readdirSync(dir), ['journal.json'], 'no temp file is left behind');
});

test('writes replace the file atomically (rename: a new inode, never an in-place rewrite)', async (t) => {
  const file = join(tempDir(t), 'journal.json');
  const j = await FileJournal.open(file);
  await j.record('sign', 'a');
  const first = statSync(file).ino;
  await j.record('sign', 'b');
  assert.notEqual(statSync(file).ino, first);
});

test('a stale temp file from a crashed run does not affect the journal', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'journal.json');
  const j = await FileJournal.open(file);
  await j.record('sign', 'a');
  writeFileSync(`${file}.99999.tmp`, '{"version":1,"steps":{"sign":{"items":{"half');
  const again = await FileJournal.open(file);
  assert.equal(again.isDone('sign', 'a'), true);
});

test('an unreadable journal is an error naming the file, not a silent fresh start', async (t) => {
  const file = join(tempDir(t), 'journal.json');
  writeFileSync(file, '{"version":1,"steps":');
  await assert.rejects(FileJournal.open(file), (e: Error) => e.message.includes(file));
});

test('MemoryJournal behaves like the file journal', async () => {
  const j = new MemoryJournal();
  await j.record('sign', 'x', 3);
  await j.stepDone('sign');
  assert.equal(j.get('sign', 'x'), 3);
  assert.ok(j.isDone('sign', 'x') && j.isStepDone('sign') && !j.isDone('sign', 'y'));
  assert.deepEqual(j.entries('sign'), { x: 3 });
});
