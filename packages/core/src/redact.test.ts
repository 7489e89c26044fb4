import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact, registerSecret } from './redact.js';

test('registered secrets are replaced wherever they appear', () => {
  registerSecret('hunter2-passphrase');
  assert.equal(redact('password=hunter2-passphrase; again hunter2-passphrase'), 'password=***; again ***');
});

test('very short or empty values are not registered (they would mangle ordinary text)', () => {
  registerSecret('ab');
  registerSecret('');
  registerSecret(undefined);
  assert.equal(redact('a tab and a slab'), 'a tab and a slab');
});

test('bearer tokens and JWTs are stripped even when never registered', () => {
  assert.equal(redact('Authorization: Bearer abc.def-123'), 'Authorization: Bearer ***');
  assert.equal(redact('authorization: token ghp_0123456789'), 'authorization: token ***');
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';
  assert.equal(redact(`id token ${jwt} used`), 'id token *** used');
});

test('text without secrets is unchanged', () => {
  const s = 'uploaded hello-linux-amd64 (sha256 708a260b2008) to gs://bucket/release';
  assert.equal(redact(s), s);
});
