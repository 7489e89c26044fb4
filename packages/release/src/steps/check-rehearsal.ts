import { OrelError, isBuildOutput } from '@orel/core';
import { readStageManifest } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { ownedBy } from '../shard.js';

/**
 * Publish exactly what was rehearsed: when a mock-mode rehearsal of this
 * version exists, the build output about to be signed and published must be
 * byte for byte what the rehearsal staged (by name and sha256).
 */
export const checkRehearsalStep: Step<ReleaseContext> = {
  name: 'check-rehearsal',
  skip: (ctx) => (ctx.rehearsal ? undefined : 'no rehearsal of this version to compare with'),
  async run(ctx) {
    const { manifestPath } = ctx.rehearsal!;
    const rehearsed = await readStageManifest(manifestPath);
    const before = new Map(rehearsed.artifacts.filter(isBuildOutput).map((a) => [a.name, a.sha256]));
    const now = new Map(ctx.artifacts.list(isBuildOutput).map((a) => [a.name, a.sha256]));
    const problems: string[] = [];
    for (const [name, sha] of now) {
      const old = before.get(name);
      if (old === undefined) problems.push(`${name}: new since the rehearsal`);
      else if (old !== sha) problems.push(`${name}: sha256 ${sha.slice(0, 12)}… differs from the rehearsed ${old.slice(0, 12)}…`);
    }
    // A shard answers for its own part (a root shard: for what it holds).
    const mine = (name: string): boolean => !ctx.shard || (ctx.shard.partition === 'hash' && ownedBy(ctx.shard, name));
    for (const name of before.keys()) if (!now.has(name) && mine(name)) problems.push(`${name}: rehearsed but missing now`);
    if (problems.length) {
      throw new OrelError('INTEGRITY', `the build output differs from what was rehearsed in mock mode (${manifestPath})`, {
        details: problems.sort(),
        hint: 'rehearse this build again (the same command without --nomock), or pass --skip-rehearsal-check to publish it anyway',
      });
    }
    return `${now.size} artifacts match the rehearsal (build ${rehearsed.release.buildId})`;
  },
};
