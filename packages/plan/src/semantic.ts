// Checks the schema cannot express: cross references between sections and
// uniqueness of names. Pure: plan data in, positioned problems out.
import { problem, type Problem, type SourceCtx } from './problems.js';
import { outputNames } from './signing-names.js';
import { outputLabel } from '@orel/core';
import { didYouMean } from './suggest.js';
import { isCertified, type Plan } from './types.js';

export const BUILTIN_VARS = ['version', 'name', 'major', 'minor', 'patch', 'prerelease', 'buildId'] as const;

export function semanticProblems(ctx: SourceCtx, plan: Plan): Problem[] {
  const out: Problem[] = [];
  const targetNames = plan.targets.map((t) => t.name);
  const signers = plan.signers ?? {};

  const unique = (names: string[], base: (string | number)[], what: string) => {
    const first = new Map<string, number>();
    names.forEach((n, i) => {
      const prev = first.get(n);
      if (prev === undefined) first.set(n, i);
      else out.push(problem(ctx, [...base, i, 'name'], `duplicate ${what} name "${n}" (first used at ${base.join('.')}[${prev}]); names must be unique`));
    });
  };
  unique(targetNames, ['targets'], 'target');
  unique((plan.artifacts?.sets ?? []).map((s) => s.name), ['artifacts', 'sets'], 'artifact set');
  if (plan.artifacts && !plan.artifacts.from && !plan.artifacts.sets?.length) {
    out.push(problem(ctx, ['artifacts'], 'artifacts lists no sets: add sets (globs under root), or from: goreleaser to take the list GoReleaser wrote'));
  }
  unique((plan.images ?? []).map((s) => s.name), ['images'], 'image');

  const imageNames = (plan.images ?? []).map((i) => i.name);
  const sboms = plan.attestations?.sboms;
  (Array.isArray(sboms) ? sboms : []).forEach((b, i) =>
    b.images?.forEach((name, j) => {
      if (!imageNames.includes(name)) {
        out.push(problem(ctx, ['attestations', 'sboms', i, 'images', j], `unknown image "${name}"${didYouMean(name, imageNames)}; ${imageNames.length ? `plan images: ${imageNames.join(', ')}` : 'the plan lists no images'}`));
      }
    }),
  );
  if (sboms && !plan.signing) out.push(problem(ctx, ['attestations', 'sboms'], 'SBOM attestations are signed with the plan\'s signer: add signing (or drop attestations.sboms)'));

  const knownTarget = (name: string, path: (string | number)[]) => {
    if (!targetNames.includes(name)) {
      out.push(problem(ctx, path, `unknown target "${name}"${didYouMean(name, targetNames)}; defined targets: ${[...new Set(targetNames)].join(', ')}`));
    }
  };
  for (const stage of ['stage', 'release'] as const) {
    plan.stages?.[stage]?.targets.forEach((t, i) => knownTarget(t, ['stages', stage, 'targets', i]));
  }
  plan.markers?.targets?.forEach((t, i) => knownTarget(t, ['markers', 'targets', i]));

  for (const [name, spec] of Object.entries(signers)) {
    if (spec.type === 'keyless') continue;
    const missing = spec.certificate && !spec.certificateChain ? 'certificateChain' : !spec.certificate && spec.certificateChain ? 'certificate' : undefined;
    if (missing) out.push(problem(ctx, ['signers', name], `signer "${name}" has ${missing === 'certificate' ? 'certificateChain' : 'certificate'} but no ${missing}: a CA-certified key needs both (its certificate, and the CAs that issued it)`));
  }
  if (plan.signing) {
    const name = plan.signing.signer;
    const spec = signers[name];
    const names = Object.keys(signers);
    if (!spec) {
      out.push(problem(ctx, ['signing', 'signer'], `unknown signer "${name}"${didYouMean(name, names)}; ${names.length ? `defined signers: ${names.join(', ')}` : 'define it under "signers:"'}`));
    } else if (spec.type !== 'keyless') {
      const i = plan.signing.outputs.indexOf('cert');
      if (i >= 0 && !isCertified(spec)) {
        out.push(problem(ctx, ['signing', 'outputs', i], `"cert" needs a certificate, but "${name}" is a ${spec.type} signer without one (use sig or bundle, or give it certificate and certificateChain from your CA)`));
      }
      const v = plan.verification ?? {};
      if (isCertified(spec) && plan.signing.transparencyLog) {
        out.push(problem(ctx, ['signing', 'transparencyLog'], `signer "${name}" has a certificate from your CA: orel does not log CA-certified signatures in Rekor yet; drop transparencyLog (verifiers check the chain at verification time)`));
      }
      if (isCertified(spec) && !v.identity && !v.identityRegexp) {
        out.push(problem(ctx, plan.verification ? ['verification'] : ['signing', 'signer'], `signer "${name}" has a certificate: it needs verification.identity (or identityRegexp), the certificate's SAN users must check, e.g. release@example.com`));
      }
    } else {
      // Keyless signatures prove who signed only against an identity policy.
      const v = plan.verification ?? {};
      if (!v.identity && !v.identityRegexp) {
        out.push(problem(ctx, plan.verification ? ['verification'] : ['signing', 'signer'], `keyless signer "${name}" needs verification.identity (or identityRegexp): the certificate identity users must check, e.g. the release workflow's URL`));
      }
      if (!v.issuer && !v.issuerRegexp) {
        out.push(problem(ctx, plan.verification ? ['verification'] : ['signing', 'signer'], `keyless signer "${name}" needs verification.issuer (or issuerRegexp): the OIDC issuer users must check, e.g. https://token.actions.githubusercontent.com`));
      }
    }
    // A certificate's .sig is checked with that certificate: without the .cert beside it nobody can.
    const certified = spec && (spec.type === 'keyless' || isCertified(spec));
    const sig = plan.signing.outputs.indexOf('sig');
    if (certified && sig >= 0 && !plan.signing.outputs.includes('cert')) {
      out.push(problem(ctx, ['signing', 'outputs', sig], `signer "${name}" signs with a certificate: its "sig" output needs "cert" too (each .sig is verified with the certificate beside it); add cert, or drop sig and keep the bundle`));
    }
    // Two outputs (or an output and a per-file checksum) of one name would overwrite each other.
    const outNames = outputNames(plan.signing);
    const taken = new Map<string, string>((plan.checksums?.perFile ?? []).map((a) => [`.${a}`, `checksums.perFile ${a}`]));
    for (const o of plan.signing.outputs) {
      const label = outputLabel(outNames, o);
      const other = taken.get(label);
      if (other) out.push(problem(ctx, plan.signing.names?.[o] ? ['signing', 'names', o] : ['signing', 'naming'], `the ${o} output would be named "${outNames[o]}", as ${other} is: give each its own name`));
      taken.set(label, `the ${o} output`);
    }
  }

  for (const v of Object.keys(plan.variables ?? {})) {
    if ((BUILTIN_VARS as readonly string[]).includes(v)) {
      out.push(problem(ctx, ['variables', v], `variable "${v}" would shadow the built-in {${v}}; rename it`));
    }
  }
  return out;
}
