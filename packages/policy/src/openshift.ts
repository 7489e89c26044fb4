// OpenShift: a ClusterImagePolicy (config.openshift.io/v1), which the
// machine-config operator turns into the nodes' containers-policy.json.
// containers/image checks cosign signatures against a Fulcio CA with a Rekor
// v1 key (the SET in the signature), or a public key; it matches an e-mail
// identity exactly, so keyless identities that are URIs or regexps cannot be
// expressed and are refused here rather than written as a policy that
// rejects every image.
import { OrelError } from '@orel/core';
import type { PolicyInput } from './trust.js';
import { policyName } from './names.js';

const bytes = (s: string): string => Buffer.from(s).toString('base64');
const EMAIL = /^[^\s@/:]+@[^\s@/:]+$/;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

function rootOfTrust(input: PolicyInput): Record<string, unknown> {
  const s = input.signer;
  const rekor = input.sigstore?.rekor.find((r) => r.ecdsaP256);
  if (s.kind === 'key') {
    if (s.transparencyLog && !rekor) throw unexpressible(`${input.trustSource} has no Rekor v1 (ECDSA P-256) key to check the signatures' log entries with`);
    return { policyType: 'PublicKey', publicKey: { keyData: bytes(s.publicKeyPem), ...(s.transparencyLog ? { rekorKeyData: bytes(rekor!.keyPem) } : {}) } };
  }
  if (s.kind === 'ca') {
    // Bring-your-own PKI: the CA's roots and intermediates, and the certificate's e-mail or host name.
    const subject = s.identity && EMAIL.test(s.identity) ? { email: s.identity } : s.identity && HOSTNAME.test(s.identity) ? { hostname: s.identity } : undefined;
    if (!subject) throw unexpressible(`OpenShift matches a PKI certificate by e-mail address or host name only; the plan's identity is ${s.identity ? JSON.stringify(s.identity) : `the regexp ${JSON.stringify(s.identityRegexp)}`}`);
    return { policyType: 'PKI', pki: { caRootsData: bytes(s.rootsPem), ...(s.intermediatesPem ? { caIntermediatesData: bytes(s.intermediatesPem) } : {}), pkiCertificateSubject: subject } };
  }
  // An e-mail SAN: a URI SAN (a CI workflow's, which holds an "@" too) is never matched as signedEmail.
  if (!s.identity || !EMAIL.test(s.identity)) {
    throw unexpressible(`OpenShift matches a keyless signer by e-mail address only; the plan's identity is ${s.identity ? JSON.stringify(s.identity) : `the regexp ${JSON.stringify(s.identityRegexp)}`}`);
  }
  if (!s.issuer) throw unexpressible(`OpenShift matches the OIDC issuer exactly; the plan gives the regexp ${JSON.stringify(s.issuerRegexp)}`);
  if (!rekor) throw unexpressible(`${input.trustSource} has no Rekor v1 (ECDSA P-256) key: OpenShift checks the signature's Rekor v1 SET`);
  return {
    policyType: 'FulcioCAWithRekor',
    fulcioCAWithRekor: {
      fulcioCAData: bytes(input.sigstore!.fulcio.map((f) => f.chainPem).join('')),
      rekorKeyData: bytes(rekor.keyPem),
      fulcioSubject: { oidcIssuer: s.issuer, signedEmail: s.identity },
    },
  };
}

/** A plan OpenShift's ClusterImagePolicy cannot express: `orel policy` skips that format unless it was asked for by name. */
export class UnexpressiblePolicyError extends OrelError {
  constructor(why: string) {
    super('PLAN_INVALID', `no OpenShift ClusterImagePolicy for this plan: ${why}`, { hint: 'use the Kyverno or policy-controller policies, which take it (orel policy --format kyverno,policy-controller)' });
  }
}

const unexpressible = (why: string) => new UnexpressiblePolicyError(why);

/** One policy per release repository: each remaps (or not) to the repository its signatures name. */
export function openshiftClusterImagePolicies(input: PolicyInput): Record<string, unknown>[] {
  const trust = rootOfTrust(input);
  const name = policyName(input);
  return input.repositories.map((r, i) => ({
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterImagePolicy',
    metadata: { name: input.repositories.length > 1 ? `${name}-${i + 1}` : name },
    spec: {
      scopes: [r.repository],
      policy: {
        rootOfTrust: trust,
        // Signatures name the staging repository: a release pulled from elsewhere is remapped to it.
        signedIdentity:
          r.signedAs === r.repository ? { matchPolicy: 'MatchRepoDigestOrExact' } : { matchPolicy: 'RemapIdentity', remapIdentity: { prefix: r.repository, signedPrefix: r.signedAs } },
      },
    },
  }));
}
