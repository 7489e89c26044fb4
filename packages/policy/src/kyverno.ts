// Kyverno: a ClusterPolicy with a verifyImages rule (kyverno.io/v1, what
// most clusters run) and the newer ImageValidatingPolicy
// (policies.kyverno.io/v1, CEL). Both admit a Pod only when each image from
// the release's repositories carries a signature by the release's signer.
import { caBundlePem, identityFields, type PolicyInput, type SigstoreTrust } from './trust.js';
import { policyName } from './names.js';

/** Tags and digests of each repository (Kyverno's wildcards match across "/" too, so the separator is spelled out). */
const references = (input: PolicyInput): string[] => input.repositories.flatMap((r) => [`${r.repository}:*`, `${r.repository}@*`]);

/** The Rekor key Kyverno's cosign checks: Rekor v1's ECDSA key when there is one. */
const rekorOf = (t: SigstoreTrust) => t.rekor.find((r) => r.ecdsaP256) ?? t.rekor[0];

function clusterPolicyAttestor(input: PolicyInput): Record<string, unknown> {
  const s = input.signer;
  const t = input.publicGood ? undefined : input.sigstore;
  if (s.kind === 'key') {
    const rekor = t && rekorOf(t);
    return {
      keys: {
        publicKeys: s.publicKeyPem,
        rekor: s.transparencyLog ? (rekor ? { url: rekor.url, pubkey: rekor.keyPem } : { url: 'https://rekor.sigstore.dev' }) : { ignoreTlog: true },
        ctlog: { ignoreSCT: true },
      },
    };
  }
  if (s.kind === 'ca') {
    // A corporate CA's certificate: checked against its chain, with no log entry or SCT to require.
    return {
      keyless: {
        ...identityFields(s),
        roots: caBundlePem(s),
        rekor: { url: 'https://rekor.sigstore.dev', ignoreTlog: true },
        ctlog: { ignoreSCT: true },
      },
    };
  }
  const rekor = t && rekorOf(t);
  return {
    keyless: {
      ...identityFields(s),
      ...(t ? { roots: t.fulcio.map((f) => f.chainPem).join('') } : {}),
      rekor: rekor ? { url: rekor.url, pubkey: rekor.keyPem } : { url: 'https://rekor.sigstore.dev' },
      ...(t && t.ctlogs.length ? { ctlog: { pubkey: t.ctlogs[0].keyPem } } : {}),
    },
  };
}

export function kyvernoClusterPolicy(input: PolicyInput): Record<string, unknown> {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: policyName(input), annotations: { 'policies.kyverno.io/title': `Images of ${input.release} are signed by its release`, 'policies.kyverno.io/subject': 'Pod' } },
    spec: {
      background: false,
      webhookTimeoutSeconds: 30,
      rules: [
        {
          name: 'signed-by-release',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [
            {
              imageReferences: references(input),
              failureAction: 'Enforce',
              type: 'Cosign',
              mutateDigest: true,
              verifyDigest: true,
              required: true,
              attestors: [{ count: 1, entries: [clusterPolicyAttestor(input)] }],
            },
          ],
        },
      ],
    },
  };
}

function validatingAttestor(input: PolicyInput): Record<string, unknown> {
  const s = input.signer;
  const t = input.publicGood ? undefined : input.sigstore;
  // A private Sigstore: its whole trusted_root.json (Fulcio, logs, TSAs), as cosign takes it.
  const root = t ? { trustedRoot: { value: t.trustedRootJson } } : {};
  if (s.kind === 'key') {
    return { key: { data: s.publicKeyPem }, ...root, ctlog: s.transparencyLog ? { insecureIgnoreSCT: true } : { insecureIgnoreTlog: true, insecureIgnoreSCT: true } };
  }
  if (s.kind === 'ca') return { keyless: { identities: [identityFields(s)], roots: caBundlePem(s) }, ctlog: { insecureIgnoreTlog: true, insecureIgnoreSCT: true } };
  return { keyless: { identities: [identityFields(s)] }, ...root };
}

export function kyvernoImageValidatingPolicy(input: PolicyInput): Record<string, unknown> {
  return {
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'ImageValidatingPolicy',
    metadata: { name: policyName(input) },
    spec: {
      validationActions: ['Deny'],
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
      matchImageReferences: references(input).map((glob) => ({ glob })),
      attestors: [{ name: 'release', cosign: validatingAttestor(input) }],
      validations: [
        {
          expression: 'images.containers.map(image, verifyImageSignatures(image, [attestors.release])).all(e, e > 0)',
          message: `every image of ${input.release} must be signed by its release`,
        },
      ],
    },
  };
}
