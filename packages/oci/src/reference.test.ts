import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOrelError } from '@orel/core';
import { parseChallenge } from './auth.js';
import { isLoopbackHost, parseImageRef } from './reference.js';

describe('image references and auth challenges', () => {
  it('parses registry, repository, tag and digest', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseImageRef('127.0.0.1:5000/team/app:v1'), { registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1', digest: undefined });
    assert.deepEqual(parseImageRef(`registry.k8s.io/pause@${d}`), { registry: 'registry.k8s.io', repository: 'pause', tag: undefined, digest: d });
    assert.deepEqual(parseImageRef('busybox'), { registry: 'docker.io', repository: 'library/busybox', tag: undefined, digest: undefined });
    assert.throws(() => parseImageRef('reg.io/App:v1'), (e: unknown) => isOrelError(e, 'PLAN_INVALID') && /App/.test(e.message));
    assert.throws(() => parseImageRef('reg.io/app@sha256:abc'), (e: unknown) => isOrelError(e, 'PLAN_INVALID'));
  });
  it('allows plain HTTP only for loopback hosts', () => {
    assert.ok(isLoopbackHost('127.0.0.1:5000'));
    assert.ok(isLoopbackHost('localhost'));
    assert.ok(isLoopbackHost('[::1]:5000'));
    assert.ok(!isLoopbackHost('registry.example:5000'));
  });
  it('parses bearer challenges with quoted commas', () => {
    const c = parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    assert.deepEqual(c, { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } });
    assert.equal(parseChallenge('Basic realm="x"')?.scheme, 'basic');
    assert.equal(parseChallenge(null), undefined);
  });
});
