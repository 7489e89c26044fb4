// Keyless identity policy: who must have signed (certificate SAN), which
// OIDC issuer vouched for them, and optionally which GitHub workflow ran.
// Regexps match the WHOLE value (as cosign's --certificate-identity-regexp),
// so "https://github.com/org/.*" cannot be satisfied by a prefix elsewhere.
import { OrelError } from '@orel/core';
import { X509Certificate } from '@sigstore/core';
import type { VerificationPolicy } from '@orel/plan';
import type { CertificateIdentity, IdentityCheck } from './bundle.js';

/** Compiles a user regexp anchored to the whole value; a bad pattern is a POLICY error naming it. */
export function anchoredRegExp(pattern: string, what: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    throw new OrelError('POLICY', `${what} ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`);
  }
}

/** Refuses a keyless check without both an identity and an issuer constraint (cosign requires both too). */
export function assertIdentityPolicy(policy: VerificationPolicy | undefined, subject = 'keyless verification', opts: IdentityCheckOptions = {}): asserts policy is VerificationPolicy {
  const hasIdentity = !!(policy?.identity || policy?.identityRegexp);
  const hasIssuer = opts.issuerOptional || !!(policy?.issuer || policy?.issuerRegexp);
  if (!hasIdentity || !hasIssuer) {
    throw new OrelError('POLICY', `${subject} needs an identity policy: ${!hasIdentity ? 'no certificate identity' : 'no OIDC issuer'} was given`, {
      hint: 'pass --certificate-identity (or --certificate-identity-regexp) and --certificate-oidc-issuer (or -regexp); in a plan: verification.identity and verification.issuer',
    });
  }
}

// Fulcio's GitHub workflow extensions: legacy (raw string) and current (DER UTF8String) OIDs.
const GITHUB_CLAIMS: Record<keyof NonNullable<VerificationPolicy['githubWorkflow']>, string[]> = {
  trigger: ['1.3.6.1.4.1.57264.1.2', '1.3.6.1.4.1.57264.1.20'],
  sha: ['1.3.6.1.4.1.57264.1.3', '1.3.6.1.4.1.57264.1.13'],
  name: ['1.3.6.1.4.1.57264.1.4'],
  repository: ['1.3.6.1.4.1.57264.1.5', '1.3.6.1.4.1.57264.1.12'],
  ref: ['1.3.6.1.4.1.57264.1.6', '1.3.6.1.4.1.57264.1.14'],
};

/** Decodes an extension value: a DER UTF8String/IA5String if it is one, else the raw (legacy) bytes. */
export function extensionText(value: Buffer): string {
  if (value.length >= 2 && (value[0] === 0x0c || value[0] === 0x16)) {
    let len = value[1];
    let off = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | value[2 + i];
      off = 2 + n;
    }
    if (off + len === value.length) return value.subarray(off).toString('utf8');
  }
  return value.toString('utf8');
}

/** Extension values of the certificate by dotted OID. */
function oidValues(identity: CertificateIdentity): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of identity.oids ?? []) out.set(o.oid!.id.join('.'), extensionText(Buffer.from(o.value)));
  return out;
}

const githubRepo = (v: string): string => v.replace(/^https:\/\/github\.com\//, '');

/** The problems of `identity` under `policy` (empty: satisfied). Pure, for tests and reports. */
export function identityProblems(identity: CertificateIdentity, policy: VerificationPolicy): string[] {
  const problems: string[] = [];
  const san = identity.subjectAlternativeName;
  const issuer = identity.extensions?.issuer;
  if (policy.identity !== undefined && san !== policy.identity) problems.push(`certificate identity is ${JSON.stringify(san ?? null)}, expected ${JSON.stringify(policy.identity)}`);
  if (policy.identityRegexp !== undefined && (san === undefined || !anchoredRegExp(policy.identityRegexp, 'identity regexp').test(san))) {
    problems.push(`certificate identity ${JSON.stringify(san ?? null)} does not match ${JSON.stringify(policy.identityRegexp)}`);
  }
  if (policy.issuer !== undefined && issuer !== policy.issuer) problems.push(`OIDC issuer is ${JSON.stringify(issuer ?? null)}, expected ${JSON.stringify(policy.issuer)}`);
  if (policy.issuerRegexp !== undefined && (issuer === undefined || !anchoredRegExp(policy.issuerRegexp, 'issuer regexp').test(issuer))) {
    problems.push(`OIDC issuer ${JSON.stringify(issuer ?? null)} does not match ${JSON.stringify(policy.issuerRegexp)}`);
  }
  const wanted = policy.githubWorkflow ?? {};
  const values = oidValues(identity);
  for (const [claim, expected] of Object.entries(wanted) as [keyof typeof GITHUB_CLAIMS, string | undefined][]) {
    if (expected === undefined) continue;
    const found = GITHUB_CLAIMS[claim].map((oid) => values.get(oid)).filter((v): v is string => v !== undefined);
    const norm = claim === 'repository' ? githubRepo : (v: string) => v;
    if (found.length === 0) problems.push(`certificate has no GitHub workflow ${claim}, expected ${JSON.stringify(expected)}`);
    else if (!found.some((v) => norm(v) === norm(expected))) problems.push(`GitHub workflow ${claim} is ${JSON.stringify(found[0])}, expected ${JSON.stringify(expected)}`);
  }
  return problems;
}

/** The IdentityCheck verifyBundle calls for keyless bundles: POLICY naming the artifact and every mismatch. */
export interface IdentityCheckOptions {
  /** A corporate CA's certificate names no OIDC issuer: the identity (SAN) alone is required; an issuer given is still checked. */
  issuerOptional?: boolean;
}

export function identityCheck(policy: VerificationPolicy | undefined, opts: IdentityCheckOptions = {}): IdentityCheck {
  assertIdentityPolicy(policy, opts.issuerOptional ? 'verification of a CA-issued certificate' : undefined, opts);
  // Compile now so a bad pattern fails before any artifact is read.
  if (policy.identityRegexp) anchoredRegExp(policy.identityRegexp, 'identity regexp');
  if (policy.issuerRegexp) anchoredRegExp(policy.issuerRegexp, 'issuer regexp');
  return (identity, { name }) => {
    const problems = identityProblems(identity, policy);
    if (problems.length) {
      throw new OrelError('POLICY', `${name}: signed by someone the policy does not accept: ${problems.join('; ')}`, {
        details: problems,
        hint: 'check --certificate-identity / --certificate-oidc-issuer (plan: verification.identity / issuer) against who really signs releases',
      });
    }
  };
}

const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

/** The identity of a Fulcio certificate, in the shape @sigstore/verify reports a signer's (SAN, issuer, extension OIDs). */
export function certificateIdentity(pemText: string): CertificateIdentity {
  const cert = X509Certificate.parse(pemText);
  const v2 = cert.extension(OID_ISSUER_V2);
  const issuer = v2 ? v2.valueObj.subs?.[0]?.value.toString('ascii') : cert.extension(OID_ISSUER_V1)?.value.toString('ascii');
  const oids = cert.extensions.map((ext) => ({ oid: { id: ext.subs[0].toOID().split('.').map(Number) }, value: ext.subs[ext.subs.length - 1].value }));
  return { extensions: { issuer }, subjectAlternativeName: cert.subjectAltName, oids };
}
