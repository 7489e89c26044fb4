import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isOrelError } from '@orel/core';
import { checkStatementSubject } from './verify-blob.js';

const tarball = Buffer.from('npm tarball bytes');
const d = (alg: string, b = tarball) => createHash(alg).update(b).digest();
const envelope = (subject: unknown) => ({
  payloadType: 'application/vnd.in-toto+json',
  payload: Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject, predicateType: 'https://slsa.dev/provenance/v1', predicate: {} })),
});

test('subjects that name only sha512 (npm provenance) match the file by sha512', () => {
  const env = envelope([{ name: 'pkg:npm/x@1.0.0', digest: { sha512: d('sha512').toString('hex') } }]);
  checkStatementSubject('x-1.0.0.tgz', env, { sha256: d('sha256'), sha512: d('sha512') });
  assert.throws(() => checkStatementSubject('x', env, { sha256: d('sha256'), sha512: d('sha512', Buffer.from('other')) }), (e) => isOrelError(e));
  // With only a sha256 at hand, the message says what to do.
  assert.throws(() => checkStatementSubject('x', env, d('sha256')), (e) => isOrelError(e) && /sha512 only; pass the file itself/.test(e.message));
});

test('every algorithm both sides name must agree', () => {
  const env = envelope([{ name: 'a', digest: { sha256: d('sha256').toString('hex'), sha512: d('sha512', Buffer.from('forged')).toString('hex') } }]);
  assert.throws(() => checkStatementSubject('a', env, { sha256: d('sha256'), sha512: d('sha512') }), (e) => isOrelError(e));
  checkStatementSubject('a', env, d('sha256')); // only sha256 at hand: it is the shared algorithm, and it agrees
});
