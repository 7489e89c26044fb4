// Where an artifact lands in a target: the target's layout template for its
// kind, rendered with the release variables and the artifact's fields.
// Derived files (signatures, certificates, bundles, per-file checksums) sit
// beside the artifact they describe, whatever the layout says.
import { posix } from 'node:path';
import { OrelError, renderTemplate, type Artifact, type ArtifactKind } from '@orel/core';
import type { ResolvedPlan, TargetSpec } from './types.js';

type Layout = Partial<Record<ArtifactKind | 'default', string>>;

export const PRESET_LAYOUTS: Record<NonNullable<TargetSpec['preset']>, Layout> = {
  'dl.k8s.io': { binary: 'release/v{version}/bin/{os}/{arch}/{name}', default: 'release/v{version}/{name}' },
  flat: { default: '{name}' },
};

const DERIVED_KINDS: readonly ArtifactKind[] = ['signature', 'certificate', 'bundle', 'checksum'];

/**
 * Staging targets keep versions and builds apart by default (krel stages
 * under stage/<build-version>/), so one build's stage is never taken for another's.
 */
export const DEFAULT_STAGING_LAYOUT = 'stage/{version}/{buildId}/{name}';

/**
 * The layout template for a kind: the target's own, else its default, else
 * the preset's, else "{name}" ("stage/{version}/{buildId}/{name}" for a target of stages.stage).
 */
export function layoutFor(target: TargetSpec, kind: ArtifactKind, staging = false): string {
  const preset = target.preset ? PRESET_LAYOUTS[target.preset] : undefined;
  return target.layout?.[kind] ?? target.layout?.default ?? preset?.[kind] ?? preset?.default ?? (staging ? DEFAULT_STAGING_LAYOUT : '{name}');
}

/**
 * The object key (path inside the target) of an artifact. With `lookup`, a
 * derived artifact with a subject lands in its subject's directory.
 */
export function objectKeyFor(
  rp: ResolvedPlan,
  target: TargetSpec,
  artifact: Artifact,
  lookup?: (name: string) => Artifact | undefined,
): string {
  if (artifact.subject && lookup && DERIVED_KINDS.includes(artifact.kind)) {
    const subject = lookup(artifact.subject);
    if (!subject) {
      throw new OrelError('INTERNAL', `${artifact.name}: its subject ${artifact.subject} is not among the artifacts`);
    }
    const dir = posix.dirname(objectKeyFor(rp, target, subject, lookup));
    return dir === '.' ? artifact.name : `${dir}/${artifact.name}`;
  }
  const vars = { ...rp.vars, name: artifact.name, os: artifact.os, arch: artifact.arch, kind: artifact.kind, set: artifact.set };
  const staging = rp.plan.stages?.stage?.targets.includes(target.name) ?? false;
  const key = renderTemplate(layoutFor(target, artifact.kind, staging), vars, `target "${target.name}" layout for ${artifact.name}`);
  return key.replace(/\/{2,}/g, '/').replace(/^\/+/, '');
}
