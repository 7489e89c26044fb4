// Sharded stages: `orel stage --shard I/N` stages one part of the build,
// `orel merge` joins the parts into the stage manifest an unsharded stage
// writes. Pure logic here (which shard owns what, what a shard manifest is
// called, which sets of shard manifests can be merged); the steps use it.
import { createHash } from 'node:crypto';
import { OrelError } from '@orel/core';
import type { StageManifest } from '@orel/manifest';

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
  /**
   * How the shard's files were chosen: by a hash of each name over the whole
   * build output ("hash"), or everything under a root of its own ("root":
   * a per-platform runner that holds only its part of the build).
   */
  partition: 'hash' | 'root';
}

/** A shard manifest: a stage manifest of one part, and which part. */
export type ShardManifest = StageManifest & { shard: ShardSpec };

export const MAX_SHARDS = 256;

/** Why a shard skips a step whose output spans every shard's files. */
export const SPANS_SHARDS = 'its output spans every shard: `orel merge` writes it';

/** Parses "I/N" (1 ≤ I ≤ N ≤ 256). */
export function parseShard(text: string, partition: ShardSpec['partition'] = 'hash'): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || count < 1 || index > count || count > MAX_SHARDS) {
    throw new OrelError('USAGE', `--shard ${JSON.stringify(text)} is not I/N with 1 ≤ I ≤ N ≤ ${MAX_SHARDS}`, {
      hint: 'e.g. --shard 2/4 stages the second of four parts; run every part, then `orel merge --shards 4`',
    });
  }
  return { index, count, partition };
}

/**
 * The shard (1..count) that owns a name: a hash of the name alone, so the
 * assignment is the same on every runner, in every re-run and whatever order
 * discovery lists files in, and adding a file moves no other file.
 */
export function shardOf(name: string, count: number): number {
  return (createHash('sha256').update(name).digest().readUInt32BE(0) % count) + 1;
}

/** Whether a shard stages this file or image (a root shard stages all it finds). */
export function ownedBy(shard: ShardSpec | undefined, name: string): boolean {
  return !shard || shard.partition === 'root' || shardOf(name, shard.count) === shard.index;
}

export const shardLabel = (s: Pick<ShardSpec, 'index' | 'count'>): string => `${s.index}/${s.count}`;

/** The shard manifest's file name: staged beside the artifacts, like the stage manifest. */
export const shardManifestName = (s: Pick<ShardSpec, 'index' | 'count'>): string => `orel-stage-manifest.shard-${s.index}-of-${s.count}.json`;

/**
 * Why a set of shard manifests cannot be merged into one stage (empty when
 * it can): every shard present, one build, each verified, no file or image
 * staged twice, and each file where its partition puts it.
 */
export function mergeProblems(expected: { name: string; version: string; buildId: string; count: number }, found: (ShardManifest | undefined)[]): string[] {
  const problems: string[] = [];
  const owner = new Map<string, number>();
  const digest = new Map<string, string>();
  found.forEach((m, i) => {
    const label = `shard ${i + 1}/${expected.count}`;
    if (!m) return problems.push(`${label} has not been staged (no ${shardManifestName({ index: i + 1, count: expected.count })}): run \`orel stage --shard ${i + 1}/${expected.count}\``);
    const r = m.release;
    if (r.name !== expected.name || r.version !== expected.version) return problems.push(`${label} is a stage of ${r.name} ${r.version}, not ${expected.name} ${expected.version}`);
    if (r.buildId !== expected.buildId) return problems.push(`${label} is from build ${r.buildId}, not ${expected.buildId}: re-run it with --build-id ${expected.buildId}`);
    const spec = m.shard as Partial<ShardSpec> | undefined;
    if (!spec || !Number.isInteger(spec.index) || !Number.isInteger(spec.count) || (spec.partition !== 'hash' && spec.partition !== 'root')) {
      return problems.push(`${label}'s manifest does not say which shard it is (no valid "shard" field): it was not written by \`orel stage --shard\``);
    }
    if (spec.index !== i + 1 || spec.count !== expected.count) return problems.push(`${label}'s manifest says it is shard ${shardLabel(m.shard)}`);
    if (!m.verified) problems.push(`${label} did not pass its verification: re-run \`orel stage --shard ${i + 1}/${expected.count}\``);
    for (const a of m.artifacts) {
      const prev = owner.get(a.name);
      // Every shard signing with one key stages the same public key (and a CA-certified one the same shared certificate): the same bytes are no overlap.
      const spansShards = a.kind === 'public-key' || (a.kind === 'certificate' && a.subject === undefined);
      if (prev !== undefined && !(spansShards && digest.get(a.name) === a.sha256)) problems.push(`${a.name} is staged by both shard ${prev}/${expected.count} and ${label}`);
      if (prev === undefined) owner.set(a.name, i + 1);
      digest.set(a.name, a.sha256);
      if (m.shard.partition === 'hash' && a.subject === undefined && !spansShards && shardOf(a.name, expected.count) !== i + 1) {
        problems.push(`${a.name} belongs to shard ${shardOf(a.name, expected.count)}/${expected.count}, not ${label} (a shard of a different partition)`);
      }
    }
    for (const img of (m.images ?? []) as { name?: string }[]) {
      const key = `image ${img.name}`;
      const prev = owner.get(key);
      if (prev !== undefined) problems.push(`${key} is staged by both shard ${prev}/${expected.count} and ${label}`);
      else owner.set(key, i + 1);
    }
  });
  return problems;
}
