import type { PolicyInput } from './trust.js';

/** A Kubernetes object name (RFC 1123 subdomain, ≤ 63 here): orel-<release>-signed-images. */
export function policyName(input: PolicyInput): string {
  const slug = input.release.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'release';
  return `orel-${slug}`.slice(0, 48).replace(/-+$/, '') + '-signed-images';
}
