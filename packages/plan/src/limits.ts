// GitHub's hard release limits, checked at plan time (before any upload):
// at most 1000 assets per release, each under 2 GiB
// (docs.github.com: "About releases" — storage and bandwidth quotas).
import { KUBERNETES_OUTPUT_NAMES, outputLabel, sharedOutputName, type OutputNames, type SignOutputKind } from '@orel/core';
import { outputNames } from './signing-names.js';
import type { Plan } from './types.js';

export const GITHUB_MAX_ASSETS = 1000;
export const GITHUB_MAX_ASSET_BYTES = 2 * 1024 ** 3;

const n = (x: number) => x.toLocaleString('en-US');

export interface GitHubAssetCount {
  total: number;
  /** Files per artifact: the artifact itself plus its per-artifact signature / checksum files. */
  perArtifact: string[];
  /** Release-wide files: checksum files and their signatures, cosign.pub, VERIFY.md. */
  shared: string[];
  artifacts: number;
}

export interface AssetCountInput {
  artifacts: number;
  signing?: { what: 'artifacts' | 'checksums'; outputs: readonly SignOutputKind[]; publicKey?: boolean; names?: OutputNames };
  /** Aggregate checksum file names (SHA256SUMS...). */
  checksumFiles?: readonly string[];
  /** Per-file checksum algorithms (<file>.sha256...). */
  perFileChecksums?: readonly string[];
  /** VERIFY.md is published too (default true). */
  notes?: boolean;
}

/** Counts the assets one GitHub release receives (GitHub assets are flat: one per file). */
export function countGitHubAssets(i: AssetCountInput): GitHubAssetCount {
  const names = i.signing?.names ?? KUBERNETES_OUTPUT_NAMES;
  const outputs = i.signing?.outputs ?? [];
  const sigSuffixes = outputs.filter((o) => !sharedOutputName(names, o)).map((o) => outputLabel(names, o));
  const sharedOutputs = outputs.flatMap((o) => sharedOutputName(names, o) ?? []);
  const perArtifact = ['file', ...(i.signing?.what === 'artifacts' ? sigSuffixes : []), ...(i.perFileChecksums ?? []).map((a) => `.${a}`)];
  const sums = i.checksumFiles ?? [];
  const shared = [
    ...sums,
    // Signing artifacts signs the build's files, not the checksum files over them.
    ...(i.signing?.what === 'checksums' ? sums.flatMap((s) => sigSuffixes.map((x) => s + x)) : []),
    ...sharedOutputs,
    ...(i.signing?.publicKey ? ['cosign.pub'] : []),
    ...(i.notes === false ? [] : ['VERIFY.md']),
  ];
  return { total: i.artifacts * perArtifact.length + shared.length, perArtifact, shared, artifacts: i.artifacts };
}

/**
 * Problems (empty when fine) for one GitHub target: too many assets, or
 * assets of 2 GiB or more. Each message gives the numbers and the fix.
 */
export function checkGitHubLimits(input: { target?: string; assets: { name: string; size: number }[]; count?: GitHubAssetCount }): string[] {
  const t = `github target '${input.target ?? 'github'}'`;
  const problems: string[] = [];
  const total = input.count?.total ?? input.assets.length;
  if (total > GITHUB_MAX_ASSETS) {
    const c = input.count;
    const why = c
      ? ` (${n(c.artifacts)} artifacts × ${c.perArtifact.length} files each: ${c.perArtifact.join(', ')}${c.shared.length ? `; plus ${c.shared.join(', ')}` : ''})`
      : '';
    const sigFiles = c ? c.perArtifact.filter((f) => f !== 'file' && !/^\.sha(256|512)$/.test(f)) : [];
    const fixes = [
      sigFiles.some((f) => f !== '.sigstore.json') ? 'write only bundles (signing.outputs: [bundle]) instead of .sig + .cert' : '',
      sigFiles.length ? 'sign only the checksum files (signing.what: checksums)' : '',
      'or split the artifacts over several targets/releases',
    ].filter(Boolean);
    problems.push(`${t} would receive ${n(total)} assets${why}; GitHub allows ${n(GITHUB_MAX_ASSETS)} per release. Fix: ${fixes.join('; ')}`);
  }
  for (const a of input.assets) {
    if (a.size >= GITHUB_MAX_ASSET_BYTES) {
      problems.push(`${t}: asset "${a.name}" is ${n(a.size)} bytes; GitHub accepts assets under 2 GiB (${n(GITHUB_MAX_ASSET_BYTES)} bytes). Fix: split or compress it, or publish it to another target`);
    }
  }
  return problems;
}

/**
 * Plan-level check for `orel plan validate`: every github:// target against the
 * artifacts found so far (names and sizes from a quick glob + stat, no hashing).
 */
export function checkPlanGitHubLimits(plan: Plan, artifacts: { name: string; size: number }[]): string[] {
  const signer = plan.signing ? plan.signers?.[plan.signing.signer] : undefined;
  const count = countGitHubAssets({
    artifacts: artifacts.length,
    signing: plan.signing && { what: plan.signing.what, outputs: plan.signing.outputs, publicKey: signer !== undefined && signer.type !== 'keyless', names: outputNames(plan.signing) },
    checksumFiles: plan.checksums?.files?.map((f) => f.name),
    perFileChecksums: plan.checksums?.perFile,
  });
  return plan.targets
    .filter((t) => t.url.startsWith('github://'))
    .flatMap((t) => checkGitHubLimits({ target: t.name, assets: artifacts, count }));
}
