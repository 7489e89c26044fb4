// The Sigstore client configuration for the sandbox's services: the signing
// config (v0.2) orel's mock mode selects its services from, as --nomock does
// from Sigstore's, and that the real peers read (cosign's --signing-config,
// sigstore-python's --trust-config) in the interop tests and benchmarks.

export interface SandboxServiceUrls {
  fulcioUrl?: string;
  rekorUrl?: string;
  /** A Rekor v2 API (listed with majorApiVersion 2: clients that speak v2 pick it; Sigstore lists it only in signing_config_rekor_v2). */
  rekorV2Url?: string;
  tsaUrl?: string;
}

/** A signing config (v0.2) naming these services; with none, a config for signing without a log (cosign 3 needs one for --tlog-upload=false). */
export function signingConfig(services: SandboxServiceUrls = {}): Record<string, unknown> {
  const service = (url: string | undefined, majorApiVersion = 1) =>
    url ? [{ url, majorApiVersion, validFor: { start: '2020-01-01T00:00:00Z' }, operator: 'orel sandbox' }] : [];
  return {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: service(services.fulcioUrl),
    oidcUrls: [],
    rekorTlogUrls: [...service(services.rekorV2Url, 2), ...service(services.rekorUrl)],
    tsaUrls: service(services.tsaUrl),
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
}

/** sigstore-python's ClientTrustConfig: a trusted root and the signing config for these services. */
export function clientTrustConfig(trustedRoot: unknown, services: SandboxServiceUrls): Record<string, unknown> {
  return { mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot, signingConfig: signingConfig(services) };
}
