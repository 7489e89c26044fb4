// The cosign-style trust flags shared by `orel verify-blob` and
// `orel verify-image`: a public key, or an identity policy checked against a
// Sigstore trusted root.
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isOrelError, OrelError } from '@orel/core';
import type { VerificationPolicy } from '@orel/plan';
import { SANDBOX, loadTrustedRoot, type LoadedTrustedRoot } from '@orel/verify';
import { tufOptions } from '../trust-options.js';

export interface TrustFlags {
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  certificateGithubWorkflowTrigger?: string;
  certificateGithubWorkflowSha?: string;
  certificateGithubWorkflowName?: string;
  certificateGithubWorkflowRepository?: string;
  certificateGithubWorkflowRef?: string;
  trustedRoot?: string;
  /** Global --sandbox, for --trusted-root sandbox. */
  sandbox?: string;
  json?: boolean;
}

export function addTrustOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--key <file>', `PEM public key (cosign.pub) for key-signed ${what}`)
    .option('--certificate-identity <san>', 'keyless: the certificate SAN must equal this')
    .option('--certificate-identity-regexp <re>', 'keyless: the certificate SAN must contain a match (as in cosign; anchor it with ^...$)')
    .option('--certificate-oidc-issuer <url>', 'keyless: the OIDC issuer must equal this')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: the OIDC issuer must contain a match (as in cosign; anchor it with ^...$)')
    .option('--certificate-github-workflow-trigger <event>', 'keyless: the GitHub workflow trigger (push, workflow_dispatch...)')
    .option('--certificate-github-workflow-sha <sha>', 'keyless: the GitHub workflow commit SHA')
    .option('--certificate-github-workflow-name <name>', 'keyless: the GitHub workflow name')
    .option('--certificate-github-workflow-repository <owner/repo>', 'keyless: the GitHub workflow repository')
    .option('--certificate-github-workflow-ref <ref>', 'keyless: the GitHub workflow ref (refs/tags/v1.2.0)')
    .option('--trusted-root <file>', 'trusted_root.json, "public-good" (default: Sigstore\'s TUF repository, cached; OREL_OFFLINE=1 or --offline: the cache or embedded seed) or "sandbox" (mock mode)');
}

/**
 * cosign matches --certificate-*-regexp with Go's MatchString: anywhere in the
 * value, unless the pattern anchors itself. orel's policy matches whole
 * values, so the flag becomes "anything, a match, anything" — the same
 * meaning — and an unanchored pattern gets a warning (it accepts more than it seems).
 */
export function cosignRegexp(flag: string, pattern: string | undefined, warn: (msg: string) => void): string | undefined {
  if (pattern === undefined) return undefined;
  if (!(pattern.startsWith('^') && pattern.endsWith('$'))) {
    warn(`${flag} ${JSON.stringify(pattern)} is not anchored: as in cosign, it matches anywhere in the value; write ^...$ to match the whole value`);
  }
  return `[\\s\\S]*(?:${pattern})[\\s\\S]*`;
}

export function policyFrom(f: TrustFlags, warn: (msg: string) => void = (m) => process.stderr.write(`warning: ${m}\n`)): VerificationPolicy {
  const workflow = {
    trigger: f.certificateGithubWorkflowTrigger,
    sha: f.certificateGithubWorkflowSha,
    name: f.certificateGithubWorkflowName,
    repository: f.certificateGithubWorkflowRepository,
    ref: f.certificateGithubWorkflowRef,
  };
  const githubWorkflow = Object.values(workflow).some((v) => v !== undefined) ? workflow : undefined;
  return {
    identity: f.certificateIdentity,
    identityRegexp: cosignRegexp('--certificate-identity-regexp', f.certificateIdentityRegexp, warn),
    issuer: f.certificateOidcIssuer,
    issuerRegexp: cosignRegexp('--certificate-oidc-issuer-regexp', f.certificateOidcIssuerRegexp, warn),
    ...(githubWorkflow && { githubWorkflow }),
  };
}

export async function readKeyFlag(f: TrustFlags): Promise<string | undefined> {
  if (!f.key) return undefined;
  const pem = await readFile(f.key, 'utf8').catch((e: Error) => Promise.reject(new OrelError('USAGE', `cannot read --key ${f.key}: ${e.message}`)));
  try {
    createPublicKey(pem);
  } catch (e) {
    throw new OrelError('KEY_INVALID', `--key ${f.key} is not a PEM public key: ${(e as Error).message}`, {
      hint: 'pass the release public key (cosign.pub, "-----BEGIN PUBLIC KEY-----")',
    });
  }
  return pem;
}

/** The trusted root the flags name (public-good through TUF when none; offline: its cache or the embedded seed). */
export function trustedRootFrom(f: TrustFlags, offline = false): ReturnType<typeof loadTrustedRoot> {
  return loadTrustedRoot(f.trustedRoot, { sandboxDir: f.trustedRoot === SANDBOX ? resolve(f.sandbox ?? '.orel/sandbox') : undefined, tufOptions: tufOptions(offline) });
}

/** A verification failure says which trusted root it was checked against, and how old that is. */
export function namingRoot(e: unknown, root: LoadedTrustedRoot | undefined): unknown {
  if (!root || !isOrelError(e, 'VERIFY_FAILED') || e.message.includes('trusted root:')) return e;
  return new OrelError('VERIFY_FAILED', `${e.message} (trusted root: ${root.source})`, { hint: e.hint, details: e.details, cause: e.cause });
}
