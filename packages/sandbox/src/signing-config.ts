// The Sigstore client configuration the real peers read (cosign's
// --signing-config, sigstore-python's --trust-config) for the sandbox's
// services, used by the interop tests and the peer benchmarks.

/** A signing config (v0.2) naming these services; with none, a config for signing without a log (cosign 3 needs one for --tlog-upload=false). */
export function signingConfig(services: { fulcioUrl?: string; rekorUrl?: string } = {}): Record<string, unknown> {
  const service = (url: string | undefined) => (url ? [{ url, majorApiVersion: 1, validFor: { start: '2020-01-01T00:00:00Z' }, operator: 'orel sandbox' }] : []);
  return {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: service(services.fulcioUrl),
    oidcUrls: [],
    rekorTlogUrls: service(services.rekorUrl),
    tsaUrls: [],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
}

/** sigstore-python's ClientTrustConfig: a trusted root and the signing config for these services. */
export function clientTrustConfig(trustedRoot: unknown, services: { fulcioUrl?: string; rekorUrl?: string }): Record<string, unknown> {
  return { mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot, signingConfig: signingConfig(services) };
}
