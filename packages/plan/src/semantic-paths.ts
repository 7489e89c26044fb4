// Plan-time checks of where things land, so a bad layout, step order, URL or
// regexp is refused by `orel plan validate` before anything is signed,
// logged or uploaded. Pure: plan data in, positioned problems out.
import type { ArtifactKind } from '@orel/core';
import { layoutFor } from './layout.js';
import { problem, type Problem, type SourceCtx } from './problems.js';
import { stageSteps } from './steps.js';
import { BUILTIN_VARS } from './semantic.js';
import { isCertified, type Plan } from './types.js';
import { sharedCertificateName } from './signing-names.js';
import { parseVersion } from './version.js';

/** Placeholders a layout may use besides the release and plan variables. */
export const ARTIFACT_PLACEHOLDERS = ['name', 'os', 'arch', 'kind', 'set'] as const;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** What a release signed with a CA-certified key publishes for verifiers: the CA chain (cosign's --certificate-chain, openssl verify) and a Sigstore trusted root holding it (--trusted-root). */
export const CA_CHAIN_FILE = 'ca-chain.pem';
export const CA_TRUSTED_ROOT_FILE = 'trusted_root.json';
const CA_FILES = [CA_CHAIN_FILE, CA_TRUSTED_ROOT_FILE];

/** Files orel itself writes beside the artifacts (checksum files, notes, key, manifest), with their kinds. */
function generatedFiles(plan: Plan): { name: string; kind: ArtifactKind }[] {
  return [
    ...(plan.checksums?.files ?? []).map((f) => ({ name: f.name, kind: 'checksum' as const })),
    { name: 'VERIFY.md', kind: 'notes' },
    { name: 'cosign.pub', kind: 'public-key' },
    ...(isCertified(plan.signers?.[plan.signing?.signer ?? '']) ? CA_FILES.map((name) => ({ name, kind: 'public-key' as const })) : []),
    { name: 'orel-stage-manifest.json', kind: 'manifest' },
  ];
}

function render(template: string, vars: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (m, k: string) => vars[k] ?? m);
}

export function pathProblems(ctx: SourceCtx, plan: Plan): Problem[] {
  const out: Problem[] = [];
  const variables = plan.variables ?? {};
  const known = new Set<string>([...BUILTIN_VARS, ...Object.keys(variables), ...ARTIFACT_PLACEHOLDERS]);
  const parts = parseVersion(String(plan.release?.version ?? ''));
  const vars: Record<string, string> = {
    ...variables,
    version: parts?.version ?? '0.0.0',
    major: parts?.major ?? '0',
    minor: parts?.minor ?? '0',
    patch: parts?.patch ?? '0',
    prerelease: parts?.prerelease ?? '',
    name: String(plan.release?.name ?? 'x'),
    buildId: String(plan.release?.buildId ?? 'b'),
  };

  // Spin's crt.pem (or any shared certificate name) beside the files orel writes: one would replace the other.
  const shared = sharedCertificateName(plan);
  const taken = shared ? generatedFiles(plan).find((f) => f.name === shared) : undefined;
  if (taken) {
    const what = { checksum: 'a checksum file', notes: 'the release notes', 'public-key': 'a key or CA file', manifest: 'the stage manifest' }[taken.kind as string] ?? 'a file';
    out.push(problem(ctx, plan.signing?.names?.cert ? ['signing', 'names', 'cert'] : ['signing', 'naming'], `the shared certificate "${shared}" has the name of ${what} orel writes: give it another`));
  }

  plan.targets.forEach((t, i) => {
    if (/\{[^}]*\}/.test(t.url)) {
      out.push(problem(ctx, ['targets', i, 'url'], `target URLs take no placeholders (${t.url}); put {version} and the like in the target's layout`));
    }
    for (const [kind, template] of Object.entries(t.layout ?? {})) {
      if (typeof template !== 'string') continue;
      const path = ['targets', i, 'layout', kind];
      for (const m of template.matchAll(PLACEHOLDER)) {
        if (!known.has(m[1])) out.push(problem(ctx, path, `unknown placeholder {${m[1]}}; known: ${[...known].sort().join(', ')}`));
      }
      if (!/\{name\}/.test(template)) out.push(problem(ctx, path, `"${template}" has no {name}, so every artifact would land at one key; end it with {name}`));
      // With every artifact field as "x" and the variables as they are: no segment may leave the target.
      const key = render(template, { ...vars, ...Object.fromEntries(ARTIFACT_PLACEHOLDERS.map((k) => [k, 'x'])) });
      if (key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.')) {
        out.push(problem(ctx, path, `"${template}" renders to "${key}", which leaves the target; layouts are paths inside it`));
      }
    }
  });

  // Steps that announce (notes, markers, finalize) come after verification; the manifest after the stage's verify.
  if (plan.stages?.release) {
    const steps = stageSteps(plan, 'release');
    const verify = steps.indexOf('verify');
    for (const s of ['notes', 'markers', 'finalize'] as const) {
      const at = steps.indexOf(s);
      if (at < 0) continue;
      if (s === 'notes' ? verify >= 0 && at > verify : verify < 0 || at < verify) {
        const why = s === 'notes' ? 'VERIFY.md is written before `verify`, so it is verified too' : `${s} announce the release, so they come after \`verify\``;
        out.push(problem(ctx, ['stages', 'release', 'steps', at], `"${s}" ${verify < 0 ? 'needs "verify" in this list' : 'is out of order'}: ${why}`));
      }
    }
  }
  if (plan.stages?.stage?.steps) {
    const steps = plan.stages.stage.steps;
    const [verify, record] = [steps.indexOf('verify'), steps.indexOf('record')];
    if (verify >= 0 && record >= 0 && record < verify) {
      out.push(problem(ctx, ['stages', 'stage', 'steps', record], '"record" comes after "verify": the stage manifest is marked verified only by a verification that already passed'));
    }
  }

  // Markers never land on a file orel writes (a marker overwrites what is there).
  const markerTargets = plan.markers?.targets ?? plan.stages?.release?.targets ?? [];
  (plan.markers?.files ?? []).forEach((m, i) => {
    const marker = render(m, vars);
    for (const tn of markerTargets) {
      const t = plan.targets.find((x) => x.name === tn);
      if (!t) continue;
      const staging = plan.stages?.stage?.targets.includes(tn) ?? false;
      for (const g of generatedFiles(plan)) {
        // Where the target's layout (its own, a preset's or the default) puts the file.
        const key = render(layoutFor(t, g.kind, staging), { ...vars, name: g.name, kind: g.kind, set: '', os: '', arch: '' }).replace(/\/{2,}/g, '/');
        if (key === marker) {
          out.push(problem(ctx, ['markers', 'files', i], `marker "${marker}" is where ${g.name} is published in target "${tn}"; markers are replaced on every release and would overwrite it`));
        }
      }
    }
  });

  const v = plan.verification ?? {};
  for (const k of ['identityRegexp', 'issuerRegexp'] as const) {
    if (v[k] === undefined) continue;
    try {
      new RegExp(v[k]!);
    } catch (e) {
      out.push(problem(ctx, ['verification', k], `not a valid regular expression: ${(e as Error).message}`));
    }
  }
  for (const [name, spec] of Object.entries(plan.signers ?? {})) {
    if (spec.type !== 'keyless') continue;
    if (spec.fulcio && !v.trustedRoot && !v.tuf) {
      out.push(problem(ctx, ['signers', name, 'fulcio'], `a private Fulcio needs verification.trustedRoot (its trusted_root.json) or verification.tuf (its TUF repository): public-good's root cannot verify its certificates`));
    }
    const signing = plan.signing;
    if (spec.rekorVersion === 2 && signing?.signer === name && !signing.outputs.includes('bundle')) {
      out.push(problem(ctx, ['signing', 'outputs'], `signer "${name}" logs in Rekor v2, which cannot be searched: a .sig + .cert pair alone carries no proof of its log entry; add "bundle" to the outputs`));
    }
    if (spec.signingConfig === 'tuf' && !v.tuf) {
      out.push(problem(ctx, ['signers', name, 'signingConfig'], `"tuf" takes the signing config from verification.tuf, which the plan does not set`));
    }
  }
  return out;
}
