import { discover } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { formatBytes } from '../helpers.js';
import { ownedBy, shardLabel } from '../shard.js';

/** Finds the build output from the plan's globs and hashes each file once. */
export const discoverStep: Step<ReleaseContext> = {
  name: 'discover',
  skip: (ctx) => (ctx.rp.plan.artifacts ? undefined : 'the plan lists no artifact sets'),
  async run(ctx) {
    const plan = ctx.rp.plan.artifacts!;
    // A runner holding only its part of the build (--root): a set may have no file there.
    const section = ctx.artifactsRoot ? { ...plan, root: ctx.artifactsRoot, sets: plan.sets?.map((s) => ({ ...s, optional: true })) } : plan;
    const found = await discover(section, ctx.rp.dir, {
      vars: ctx.rp.vars,
      concurrency: section.concurrency,
      onProgress: (done, total) => ctx.reporter.progress('discover', done, total),
      select: (f) => ownedBy(ctx.shard, f.name),
    });
    for (const a of found) ctx.artifacts.add(a);
    const part = ctx.shard ? ` (shard ${shardLabel(ctx.shard)})` : '';
    return `${found.length} artifacts${part}, ${formatBytes(found.reduce((s, a) => s + a.size, 0))}`;
  },
};
