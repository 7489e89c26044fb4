import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityProblems } from '@orel/verify';
import { policyFrom } from './trust-flags.js';

const SAN = 'https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0';
const ISSUER = 'https://token.actions.githubusercontent.com';
const identity = { subjectAlternativeName: SAN, extensions: { issuer: ISSUER } };

test('--certificate-*-regexp means what it means in cosign (Go MatchString: anywhere), with a warning when unanchored', () => {
  const warnings: string[] = [];
  const loose = policyFrom({ certificateIdentityRegexp: 'acme/tool', certificateOidcIssuerRegexp: 'githubusercontent' }, (w) => warnings.push(w));
  assert.deepEqual(identityProblems(identity, loose), [], 'a substring match is a match, as in cosign');
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /--certificate-identity-regexp "acme\/tool" is not anchored/);

  const quiet: string[] = [];
  const strict = policyFrom({ certificateIdentityRegexp: '^https://github\\.com/acme/other/.*$', certificateOidcIssuer: ISSUER }, (w) => quiet.push(w));
  assert.equal(quiet.length, 0, 'an anchored pattern gets no warning');
  assert.equal(identityProblems(identity, strict).length, 1);
  assert.deepEqual(identityProblems(identity, policyFrom({ certificateIdentityRegexp: '^https://github\\.com/acme/tool/.*$', certificateOidcIssuer: ISSUER }, () => undefined)), []);
});

test('--certificate-github-workflow-* flags become workflow claims in the policy', () => {
  const p = policyFrom({ certificateIdentity: SAN, certificateOidcIssuer: ISSUER, certificateGithubWorkflowRepository: 'acme/tool', certificateGithubWorkflowTrigger: 'push' });
  assert.deepEqual(p.githubWorkflow, { trigger: 'push', sha: undefined, name: undefined, repository: 'acme/tool', ref: undefined });
  assert.equal(policyFrom({ certificateIdentity: SAN }).githubWorkflow, undefined);
  // The identity carries no workflow extensions: a required claim is a problem.
  assert.match(identityProblems(identity, p).join('; '), /no GitHub workflow trigger/);
});
