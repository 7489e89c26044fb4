// Admission policies for a release's images, from the plan's signer and the
// Sigstore it signs with: what a cluster applies so that only images this
// release signed are admitted.
import { stringify } from 'yaml';
import { kyvernoClusterPolicy, kyvernoImageValidatingPolicy } from './kyverno.js';
import { openshiftClusterImagePolicies } from './openshift.js';
export { UnexpressiblePolicyError } from './openshift.js';
import { policyControllerClusterImagePolicy, policyControllerTrustRoot } from './policy-controller.js';
import { checkInput, type PolicyInput } from './trust.js';

export { policyName } from './names.js';
export { checkInput, sigstoreTrust, type CaSigner, type GuardedRepository, type KeylessSigner, type KeySigner, type PolicyInput, type SigstoreTrust } from './trust.js';

export const POLICY_FORMATS = ['kyverno', 'kyverno-ivp', 'policy-controller', 'openshift'] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];

/** Each format's file and what it holds. */
export const POLICY_FILES: Record<PolicyFormat, { file: string; what: string }> = {
  kyverno: { file: 'kyverno-clusterpolicy.yaml', what: 'Kyverno ClusterPolicy (kyverno.io/v1, verifyImages)' },
  'kyverno-ivp': { file: 'kyverno-imagevalidatingpolicy.yaml', what: 'Kyverno ImageValidatingPolicy (policies.kyverno.io/v1)' },
  'policy-controller': { file: 'policy-controller.yaml', what: 'sigstore policy-controller ClusterImagePolicy (policy.sigstore.dev/v1beta1) and its TrustRoot' },
  openshift: { file: 'openshift-clusterimagepolicy.yaml', what: 'OpenShift ClusterImagePolicy (config.openshift.io/v1)' },
};

/** The Kubernetes objects of one format, in the order they are applied. */
export function policyDocuments(format: PolicyFormat, input: PolicyInput): Record<string, unknown>[] {
  checkInput(input);
  switch (format) {
    case 'kyverno':
      return [kyvernoClusterPolicy(input)];
    case 'kyverno-ivp':
      return [kyvernoImageValidatingPolicy(input)];
    case 'policy-controller':
      // The TrustRoot first: the policy names it.
      return [...(input.publicGood || !input.sigstore ? [] : [policyControllerTrustRoot(input, input.sigstore)]), policyControllerClusterImagePolicy(input)];
    case 'openshift':
      return openshiftClusterImagePolicies(input);
  }
}

/** A multi-document YAML file for `kubectl apply -f`, with a header saying where it came from. */
export function policyYaml(format: PolicyFormat, input: PolicyInput, source: string): string {
  const header = [
    `# ${POLICY_FILES[format].what}`,
    `# Written by orel policy from ${source}: admits the images of ${input.release} only when its release signed them.`,
    `# Signer: ${signerLine(input)}; ${input.signer.kind === 'ca' ? 'CA' : 'Sigstore'}: ${input.trustSource}. Apply with: kubectl apply -f ${POLICY_FILES[format].file}`,
  ];
  return header.join('\n') + '\n' + policyDocuments(format, input).map((d) => '---\n' + stringify(d, { lineWidth: 0 })).join('');
}

function signerLine(input: PolicyInput): string {
  const s = input.signer;
  if (s.kind === 'key') return `public key${s.transparencyLog ? ', logged in Rekor' : ', no transparency log'}`;
  if (s.kind === 'ca') return `${s.identity ?? `/${s.identityRegexp}/`} certified by your CA, no transparency log`;
  return `${s.identity ?? `/${s.identityRegexp}/`} from ${s.issuer ?? `/${s.issuerRegexp}/`}`;
}
