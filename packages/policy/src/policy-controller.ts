// sigstore policy-controller: a ClusterImagePolicy (policy.sigstore.dev/v1beta1)
// whose one authority is the release's signer, and, for a Sigstore other than
// the public-good instance, the TrustRoot (v1alpha1) it names, carrying that
// instance's Fulcio chain and log keys.
import { policyName } from './names.js';
import { caBundlePem, identityFields, type PolicyInput, type SigstoreTrust } from './trust.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** policy-controller globs: "**" crosses "/" too, so tags and digests of each repository are spelled out. */
const images = (input: PolicyInput) => input.repositories.flatMap((r) => [{ glob: `${r.repository}:**` }, { glob: `${r.repository}@**` }]);

export function policyControllerTrustRoot(input: PolicyInput, t: SigstoreTrust): Record<string, unknown> {
  const log = (l: { url: string; keyPem: string }) => ({ baseURL: l.url, hashAlgorithm: 'sha-256', publicKey: b64(l.keyPem) });
  const authority = (a: { url: string; chainPem: string }, i: number) => ({ subject: { organization: input.release, commonName: `authority-${i}` }, uri: a.url, certChain: b64(a.chainPem) });
  return {
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name: policyName(input) },
    spec: {
      sigstoreKeys: {
        certificateAuthorities: t.fulcio.map(authority),
        tLogs: t.rekor.map(log),
        ctLogs: t.ctlogs.map(log),
        ...(t.tsas.length ? { timestampAuthorities: t.tsas.map(authority) } : {}),
      },
    },
  };
}

function authority(input: PolicyInput): Record<string, unknown> {
  const s = input.signer;
  const t = input.publicGood ? undefined : input.sigstore;
  const trustRootRef = t ? { trustRootRef: policyName(input) } : {};
  const rekorUrl = t?.rekor[0]?.url ?? 'https://rekor.sigstore.dev';
  // Without ctlog policy-controller skips the transparency log: only for key signatures never logged.
  const ctlog = { ctlog: { url: rekorUrl, ...trustRootRef } };
  const timestamps = t?.tsas.length ? { rfc3161timestamp: trustRootRef } : {};
  if (s.kind === 'key') {
    return { name: 'release', key: { data: s.publicKeyPem, hashAlgorithm: 'sha256' }, ...(s.transparencyLog ? ctlog : {}), ...timestamps };
  }
  if (s.kind === 'ca') {
    // The CA's chain as the keyless CA, no SCT; without ctlog, no transparency log is required.
    return { name: 'release', keyless: { 'ca-cert': { data: caBundlePem(s) }, identities: [identityFields(s)], insecureIgnoreSCT: true } };
  }
  return { name: 'release', keyless: { url: t?.fulcio[0]?.url ?? 'https://fulcio.sigstore.dev', identities: [identityFields(s)], ...trustRootRef }, ...ctlog, ...timestamps };
}

export function policyControllerClusterImagePolicy(input: PolicyInput): Record<string, unknown> {
  return {
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: policyName(input) },
    spec: { mode: 'enforce', images: images(input), authorities: [authority(input)] },
  };
}
