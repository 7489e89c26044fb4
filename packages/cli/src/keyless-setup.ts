// Keyless (Sigstore) signer setup for the composition root: the real
// services (token from the plan, a file, the environment or ambient CI OIDC),
// or in mock mode the loopback Sigstore sandbox with a token minted for the
// identity the plan's verification policy expects.
import { join, resolve } from 'node:path';
import { registerSecret, type Signer } from '@orel/core';
import { resolveSecret, type KeylessSignerSpec, type ResolvedPlan } from '@orel/plan';
import type { Trust } from '@orel/release';
import { startSandboxSigstore } from '@orel/sandbox';
import { createKeylessSigner, createKeylessWitnesses, DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, resolveTokenSource } from '@orel/sign';
import { loadTrustedRoot } from '@orel/verify';
import type { Witness } from '@sigstore/sign';

export interface KeylessSetup {
  signer: Signer;
  witnesses: Witness[];
  trust: Trust;
  close?: () => Promise<void>;
}

/** Identity and issuer minted into sandbox tokens when the plan names none (verification then needs them too). */
export const SANDBOX_IDENTITY = 'release@orel.sandbox';
export const SANDBOX_ISSUER = 'https://oidc.orel.sandbox';

/** --identity-token / --identity-token-file: win over the plan's. */
export interface CliToken {
  token?: string;
  tokenFile?: string;
}

export async function realKeylessSetup(name: string, spec: KeylessSignerSpec, rp: ResolvedPlan, sandboxDir?: string, cli: CliToken = {}): Promise<KeylessSetup> {
  const where = `signers.${name}`;
  if (cli.token) registerSecret(cli.token);
  const source = resolveTokenSource({
    token: cli.token ?? (cli.tokenFile ? undefined : resolveSecret(rp, spec.identityToken, `${where}.identityToken`)),
    tokenFile: cli.tokenFile ? resolve(cli.tokenFile) : spec.identityTokenFile ? resolve(rp.dir, spec.identityTokenFile) : undefined,
    gce: 'auto',
  });
  const signer = await createKeylessSigner({ fulcio: spec.fulcio ?? DEFAULT_FULCIO_URL }, { token: () => source.getToken() });
  const root = await loadTrustedRoot(rp.plan.verification?.trustedRoot, { baseDir: rp.dir, sandboxDir });
  return {
    signer,
    witnesses: createKeylessWitnesses({ rekor: spec.rekor, tsa: spec.tsa }),
    trust: { trustedRoot: root.json, trustedRootPath: root.file, rekorUrl: spec.rekor ?? DEFAULT_REKOR_URL },
  };
}

export async function sandboxKeylessSetup(spec: KeylessSignerSpec, rp: ResolvedPlan, sandboxDir: string): Promise<KeylessSetup> {
  const policy = rp.plan.verification ?? {};
  const sb = await startSandboxSigstore({
    dir: join(sandboxDir, 'sigstore'),
    identity: policy.identity ?? SANDBOX_IDENTITY,
    issuer: policy.issuer ?? SANDBOX_ISSUER,
  });
  // The ref names no port: what orel writes must not change between runs of one sandbox.
  const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl, ref: 'keyless (sandbox Fulcio)' }, { token: async () => sb.mintToken() });
  return {
    signer,
    witnesses: createKeylessWitnesses({ rekor: sb.rekorUrl, tsa: spec.tsa ? sb.tsaUrl : undefined }),
    trust: { trustedRoot: sb.trustedRoot, trustedRootPath: sb.trustedRootPath, rekorUrl: sb.rekorUrl },
    close: () => sb.close(),
  };
}
