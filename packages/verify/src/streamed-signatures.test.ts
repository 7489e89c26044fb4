import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { StreamedSignatures } from './streamed-signatures.js';

test('a verdict exists only after the bytes streamed by, and only for the signature and key registered', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bytes = Buffer.from('released bytes, in two chunks');
  const good = sign('sha256', bytes, privateKey);
  const foreign = sign('sha256', bytes, other.privateKey);
  const s = new StreamedSignatures();
  s.expect('f', good, publicKey);
  s.expect('f', foreign, publicKey);
  assert.equal(s.verdict('f', publicKey, good), undefined, 'not streamed yet');
  const sinks = s.sinks('f');
  for (const sink of sinks) [bytes.subarray(0, 7), bytes.subarray(7)].forEach((c) => sink.update(c));
  s.settle('f');
  assert.equal(s.verdict('f', publicKey, good), true);
  assert.equal(s.verdict('f', publicKey, foreign), false, 'another key signed it');
  assert.equal(s.verdict('f', other.publicKey, foreign), undefined, 'never registered with that key');
  assert.equal(s.verdict('g', publicKey, good), undefined, 'another subject');
  // A retried read starts the verifiers afresh: other bytes, other verdicts.
  for (const sink of s.sinks('f')) sink.update(Buffer.from('other bytes'));
  s.settle('f');
  assert.equal(s.verdict('f', publicKey, good), false);
});
