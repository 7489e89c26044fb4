// The cosign-style trust flags shared by `orel verify-blob` and
// `orel verify-image`: a public key, or an identity policy checked against a
// Sigstore trusted root.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OrelError } from '@orel/core';
import type { VerificationPolicy } from '@orel/plan';
import { SANDBOX, loadTrustedRoot } from '@orel/verify';

export interface TrustFlags {
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  /** Global --sandbox, for --trusted-root sandbox. */
  sandbox?: string;
  json?: boolean;
}

export function addTrustOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--key <file>', `PEM public key (cosign.pub) for key-signed ${what}`)
    .option('--certificate-identity <san>', 'keyless: the certificate SAN must equal this')
    .option('--certificate-identity-regexp <re>', 'keyless: the certificate SAN must match this (whole value)')
    .option('--certificate-oidc-issuer <url>', 'keyless: the OIDC issuer must equal this')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: the OIDC issuer must match this (whole value)')
    .option('--trusted-root <file>', 'trusted_root.json, "public-good" (default, embedded; no network) or "sandbox" (mock mode)');
}

export function policyFrom(f: TrustFlags): VerificationPolicy {
  return {
    identity: f.certificateIdentity,
    identityRegexp: f.certificateIdentityRegexp,
    issuer: f.certificateOidcIssuer,
    issuerRegexp: f.certificateOidcIssuerRegexp,
  };
}

export async function readKeyFlag(f: TrustFlags): Promise<string | undefined> {
  if (!f.key) return undefined;
  return readFile(f.key, 'utf8').catch((e: Error) => Promise.reject(new OrelError('USAGE', `cannot read --key ${f.key}: ${e.message}`)));
}

/** The trusted root the flags name (public-good when none). */
export function trustedRootFrom(f: TrustFlags): ReturnType<typeof loadTrustedRoot> {
  return loadTrustedRoot(f.trustedRoot, { sandboxDir: f.trustedRoot === SANDBOX ? resolve(f.sandbox ?? '.orel/sandbox') : undefined });
}
