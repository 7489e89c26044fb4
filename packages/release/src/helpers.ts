// Small shared helpers for steps: which targets a stage writes to, where an
// artifact lands in a target, and the report entries.
import { OrelError, type Artifact, type Publisher } from '@orel/core';
import { objectKeyFor, type TargetSpec } from '@orel/plan';
import type { ArtifactReport, ReleaseContext } from './context.js';

export function targetSpec(ctx: ReleaseContext, name: string): TargetSpec {
  const t = ctx.rp.plan.targets.find((x) => x.name === name);
  if (!t) throw new OrelError('PLAN_INVALID', `${ctx.rp.file}: no target named "${name}"`);
  return t;
}

/** Target names the current stage publishes to. */
export function stageTargetNames(ctx: ReleaseContext, stage = ctx.stage): string[] {
  const stages = ctx.rp.plan.stages as Record<string, { targets: string[] } | undefined> | undefined;
  return stages?.[stage]?.targets ?? [];
}

export function publisherFor(ctx: ReleaseContext, name: string): Publisher {
  const p = ctx.publishers.get(name);
  if (!p) throw new OrelError('INTERNAL', `no publisher was set up for target "${name}"`);
  return p;
}

/** Object key of an artifact in a target (derived files sit beside their subject). */
export function keyFor(ctx: ReleaseContext, target: string, a: Artifact): string {
  return objectKeyFor(ctx.rp, targetSpec(ctx, target), a, (n) => ctx.artifacts.get(n));
}

/** The artifacts that are files to publish (images travel through registries). */
export function publishable(ctx: ReleaseContext): Artifact[] {
  return ctx.artifacts.list((a) => a.kind !== 'image' && a.kind !== 'manifest');
}

// Report entries by name, per entries array (a linear search per published or verified item is quadratic).
const entryIndex = new WeakMap<ArtifactReport[], Map<string, ArtifactReport>>();

export function reportEntry(ctx: ReleaseContext, a: Artifact): ArtifactReport {
  const list = ctx.report.artifacts;
  let index = entryIndex.get(list);
  if (!index || index.size !== list.length) entryIndex.set(list, (index = new Map(list.map((x) => [x.name, x]))));
  let e = index.get(a.name);
  if (!e) {
    e = { name: a.name, kind: a.kind, size: a.size, sha256: a.sha256, published: [], signatures: [] };
    list.push(e);
    index.set(a.name, e);
  }
  return e;
}

export function recordPublished(ctx: ReleaseContext, a: Artifact, target: string, key: string, location: string): void {
  const e = reportEntry(ctx, a);
  if (!e.published.some((p) => p.target === target && p.key === key)) e.published.push({ target, key, location });
  if (a.subject && (a.kind === 'signature' || a.kind === 'bundle' || a.kind === 'certificate')) {
    const subject = ctx.artifacts.get(a.subject);
    if (subject) {
      const s = reportEntry(ctx, subject);
      const format = a.kind === 'bundle' ? 'bundle' : a.kind === 'signature' ? 'sig' : 'cert';
      s.signatures = s.signatures.filter((x) => !(x.name === a.name && x.location === undefined));
      if (!s.signatures.some((x) => x.name === a.name && x.location === location)) s.signatures.push({ format, name: a.name, location });
    }
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
