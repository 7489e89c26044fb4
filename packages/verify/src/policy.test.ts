import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOrelError } from '@orel/core';
import { anchoredRegExp, extensionText, identityCheck, identityProblems } from './policy.js';

const utf8 = (s: string) => Buffer.concat([Buffer.from([0x0c, s.length]), Buffer.from(s)]);
const oid = (dotted: string, value: Buffer) => ({ oid: { id: dotted.split('.').map(Number) }, value });
const identity = {
  subjectAlternativeName: 'https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.0',
  extensions: { issuer: 'https://token.actions.githubusercontent.com' },
  oids: [oid('1.3.6.1.4.1.57264.1.12', utf8('https://github.com/org/repo')), oid('1.3.6.1.4.1.57264.1.6', Buffer.from('refs/tags/v1.2.0'))],
};

describe('identity policy', () => {
  it('matches exact values and whole-value regexps', () => {
    assert.deepEqual(identityProblems(identity, { identity: identity.subjectAlternativeName, issuer: identity.extensions.issuer }), []);
    assert.deepEqual(identityProblems(identity, { identityRegexp: 'https://github\\.com/org/repo/.*', issuerRegexp: 'https://token\\.actions\\..*' }), []);
    // Anchored: a regexp that matches only part of the value does not pass.
    assert.equal(identityProblems(identity, { identityRegexp: 'org/repo', issuer: identity.extensions.issuer }).length, 1);
    assert.equal(identityProblems(identity, { identityRegexp: 'https://github.com/org/repo/.*|x', issuerRegexp: '.*' }).length, 0);
    assert.ok(!anchoredRegExp('a|b', 'x').test('ab'), 'alternation stays inside the anchors');
  });

  it('checks GitHub workflow claims from legacy and current extensions', () => {
    assert.deepEqual(identityProblems(identity, { githubWorkflow: { repository: 'org/repo', ref: 'refs/tags/v1.2.0' } }), []);
    assert.match(identityProblems(identity, { githubWorkflow: { repository: 'org/other' } })[0], /repository/);
    assert.match(identityProblems(identity, { githubWorkflow: { trigger: 'push' } })[0], /no GitHub workflow trigger/);
    assert.equal(extensionText(utf8('abc')), 'abc');
    assert.equal(extensionText(Buffer.from('raw')), 'raw');
  });

  it('refuses keyless verification without identity and issuer, and names mismatches as POLICY', () => {
    for (const p of [undefined, {}, { identity: 'x' }, { issuer: 'y' }]) assert.throws(() => identityCheck(p), (e) => isOrelError(e, 'POLICY'));
    assert.throws(() => identityCheck({ identityRegexp: '(', issuer: 'y' }), (e) => isOrelError(e, 'POLICY') && /regular expression/.test((e as Error).message));
    const check = identityCheck({ identity: 'someone-else', issuer: identity.extensions.issuer });
    assert.throws(() => check(identity, { name: 'app.tar.gz' }), (e) => isOrelError(e, 'POLICY') && /app\.tar\.gz/.test((e as Error).message));
  });
});
