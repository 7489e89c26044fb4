// Keyless (Sigstore) signer setup for the composition root. Services come from
// a signing config (Sigstore's through TUF by default, a private instance's
// TUF repository, or a file) unless the plan names them; the trusted root
// likewise. Mock mode runs the same path against the loopback sandbox, whose
// TUF repository serves its trusted root and signing config, with a token
// minted for the identity the plan's verification policy expects.
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OrelError, registerSecret, type Signer } from '@orel/core';
import { resolveSecret, type KeylessSignerSpec, type ResolvedPlan } from '@orel/plan';
import type { Trust } from '@orel/release';
import { startSandboxSigstore } from '@orel/sandbox';
import {
  createKeylessSigner,
  createKeylessWitnesses,
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  parseSigningConfig,
  resolveServices,
  resolveTokenSource,
  SIGNING_CONFIG_REKOR_V2_TARGET,
  SIGNING_CONFIG_TARGET,
  type ResolvedServices,
} from '@orel/sign';
import { loadTrustedRoot, PUBLIC_GOOD, PUBLIC_GOOD_MIRROR, readTufTarget, TRUSTED_ROOT_TARGET, type TufOptions, type TufRepoSpec } from '@orel/verify';
import type { SigningConfig } from '@sigstore/protobuf-specs';
import type { Witness } from '@sigstore/sign';
import { readJsonFile, tufOptions } from './trust-options.js';

export interface KeylessSetup {
  signer: Signer;
  witnesses: Witness[];
  trust: Trust;
  /** The services signed with and where they were chosen from, for the run's log. */
  note: string;
  close?: () => Promise<void>;
}

/** Identity and issuer minted into sandbox tokens when the plan names none (verification then needs them too). */
export const SANDBOX_IDENTITY = 'release@orel.sandbox';
export const SANDBOX_ISSUER = 'https://oidc.orel.sandbox';
const PUBLIC_GOOD_SERVICES = { fulcio: DEFAULT_FULCIO_URL, rekor: DEFAULT_REKOR_URL };

/** --identity-token / --identity-token-file: win over the plan's. */
export interface CliToken {
  token?: string;
  tokenFile?: string;
}

/** The plan's private TUF repository, paths resolved. */
export function planTuf(rp: ResolvedPlan): TufRepoSpec | undefined {
  const tuf = rp.plan.verification?.tuf;
  return tuf && { mirror: tuf.mirror, root: resolve(rp.dir, tuf.root) };
}

/** The signing config a TUF repository publishes: with rekorVersion 2, Sigstore's Rekor v2 one (a superset of the default) if it has one, else the default. */
async function tufSigningConfig(repo: TufRepoSpec, rekorVersion: 1 | 2 | undefined, opts: TufOptions): Promise<{ config: SigningConfig; from: string } | undefined> {
  const target = (rekorVersion === 2 ? await readTufTarget(repo, SIGNING_CONFIG_REKOR_V2_TARGET, opts) : undefined) ?? (await readTufTarget(repo, SIGNING_CONFIG_TARGET, opts));
  return target && { config: parseSigningConfig(JSON.parse(target.text), target.source), from: target.source };
}

/**
 * The signer, witnesses and log facts for the chosen services. Refused here,
 * before anything is signed: pairs Rekor v2 could not prove, Rekor v2
 * without a TSA.
 */
async function keylessOn(rp: ResolvedPlan, services: ResolvedServices, from: string, signer: { ref?: string; token: () => Promise<string> }) {
  refuseUnprovablePairs(rp, services, from);
  const witnesses = createKeylessWitnesses({ rekor: services.rekor.url, rekorVersion: services.rekor.version, tsa: services.tsa });
  return {
    signer: await createKeylessSigner({ fulcio: services.fulcio, ref: signer.ref }, { token: signer.token }),
    witnesses,
    // Rekor v2 has no search API: a .sig + .cert pair is proven by the release's own bundle.
    log: { rekorUrl: services.rekor.version === 1 ? services.rekor.url : undefined, rekorVersion: services.rekor.version },
    note: describeServices(services, from),
  };
}

/** The signing config the signer names, or undefined when the plan names every service (or offline public-good has none cached). */
async function signingConfigFor(spec: KeylessSignerSpec, rp: ResolvedPlan, opts: TufOptions): Promise<{ config?: SigningConfig; from: string }> {
  const source = spec.signingConfig ?? PUBLIC_GOOD;
  const needed = !spec.fulcio || !spec.rekor || (spec.rekorVersion === 2 && !spec.tsa);
  if (!needed) return { from: `${rp.file} (signers' URLs)` };
  if (source === 'sandbox') throw new OrelError('USAGE', `signingConfig "sandbox" is mock mode's; --nomock needs "public-good", "tuf" or a file`);
  if (source === PUBLIC_GOOD || source === 'tuf') {
    const repo = source === 'tuf' ? planTuf(rp)! : { mirror: PUBLIC_GOOD_MIRROR };
    return (await tufSigningConfig(repo, spec.rekorVersion, opts)) ?? { from: `built-in public-good URLs (no ${SIGNING_CONFIG_TARGET} from ${repo.mirror}${opts.offline ? ' in the offline cache' : ''})` };
  }
  const file = resolve(rp.dir, source);
  return { config: parseSigningConfig(await readJsonFile(file, 'signing config'), file), from: file };
}

/**
 * Rekor v2 cannot be searched: a .sig + .cert pair is proven only by the
 * bundle holding its entry. Refused before anything is signed when the
 * release would publish pairs without bundles (the plan check catches
 * rekorVersion: 2; this, a signing config that picks v2).
 */
function refuseUnprovablePairs(rp: ResolvedPlan, services: ResolvedServices, from: string): void {
  const outputs = rp.plan.signing?.outputs ?? [];
  if (services.rekor.version !== 2 || outputs.includes('bundle') || !outputs.includes('sig')) return;
  throw new OrelError('USAGE', `${from} chose Rekor v2 (${services.rekor.url}), which cannot be searched: the .sig + .cert pairs this plan publishes without bundles would carry no proof of their log entries`, {
    hint: `add "bundle" to signing.outputs in ${rp.file}, or set rekorVersion: 1 on the signer`,
  });
}

const describeServices = (s: ResolvedServices, from: string): string =>
  `orel: keyless with Fulcio ${s.fulcio}, Rekor v${s.rekor.version} ${s.rekor.url}${s.tsa ? `, timestamps from ${s.tsa}` : ''} (chosen from ${from})`;

export async function realKeylessSetup(name: string, spec: KeylessSignerSpec, rp: ResolvedPlan, sandboxDir?: string, cli: CliToken = {}): Promise<KeylessSetup> {
  const where = `signers.${name}`;
  if (cli.token) registerSecret(cli.token);
  const source = resolveTokenSource({
    token: cli.token ?? (cli.tokenFile ? undefined : resolveSecret(rp, spec.identityToken, `${where}.identityToken`)),
    tokenFile: cli.tokenFile ? resolve(cli.tokenFile) : spec.identityTokenFile ? resolve(rp.dir, spec.identityTokenFile) : undefined,
    gce: 'auto',
  });
  const opts = tufOptions();
  const { config, from } = await signingConfigFor(spec, rp, opts);
  const services = resolveServices(spec, config, from, PUBLIC_GOOD_SERVICES);
  const { signer, witnesses, log, note } = await keylessOn(rp, services, from, { token: () => source.getToken() });
  const root = await loadTrustedRoot(rp.plan.verification?.trustedRoot, { baseDir: rp.dir, sandboxDir, tuf: planTuf(rp), tufOptions: opts });
  return { signer, witnesses, trust: { trustedRoot: root.json, trustedRootPath: root.file, trustedRootSource: root.source, ...log }, note };
}

export async function sandboxKeylessSetup(spec: KeylessSignerSpec, rp: ResolvedPlan, sandboxDir: string): Promise<KeylessSetup> {
  const policy = rp.plan.verification ?? {};
  const dir = join(sandboxDir, 'sigstore');
  const sb = await startSandboxSigstore({ dir, identity: policy.identity ?? SANDBOX_IDENTITY, issuer: policy.issuer ?? SANDBOX_ISSUER });
  try {
    // The same path as --nomock: trust and services through TUF, from a cleared cache.
    const cacheDir = join(dir, 'tuf-cache');
    await rm(cacheDir, { recursive: true, force: true });
    const repo = { mirror: sb.tufUrl, root: sb.tufRootPath };
    const [chosen, rootTarget] = await Promise.all([tufSigningConfig(repo, spec.rekorVersion, { cacheDir }), readTufTarget(repo, TRUSTED_ROOT_TARGET, { cacheDir })]);
    if (!chosen || !rootTarget) throw new OrelError('INTERNAL', `the sandbox TUF repository at ${sb.tufUrl} lacks its signing config or trusted root`);
    // The plan's URLs name real services; in mock mode only its choice of Rekor version counts.
    const services = resolveServices({ rekorVersion: spec.rekorVersion }, chosen.config, chosen.from, PUBLIC_GOOD_SERVICES);
    // The ref names no port: what orel writes must not change between runs of one sandbox.
    const { signer, witnesses, log, note } = await keylessOn(rp, services, chosen.from, { ref: 'keyless (sandbox Fulcio)', token: async () => sb.mintToken() });
    return {
      signer,
      witnesses,
      trust: {
        trustedRoot: JSON.parse(rootTarget.text),
        trustedRootPath: sb.trustedRootPath,
        trustedRootSource: `${sb.trustedRootPath} (the sandbox's, through its TUF repository)`,
        ...log,
      },
      note,
      close: () => sb.close(),
    };
  } catch (e) {
    await sb.close();
    throw e;
  }
}
