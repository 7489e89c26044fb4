import { discover } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { formatBytes } from '../helpers.js';

/** Finds the build output from the plan's globs and hashes each file once. */
export const discoverStep: Step<ReleaseContext> = {
  name: 'discover',
  skip: (ctx) => (ctx.rp.plan.artifacts ? undefined : 'the plan lists no artifact sets'),
  async run(ctx) {
    const section = ctx.rp.plan.artifacts!;
    const found = await discover(section, ctx.rp.dir, {
      concurrency: section.concurrency,
      onProgress: (done, total) => ctx.reporter.progress('discover', done, total),
    });
    for (const a of found) ctx.artifacts.add(a);
    return `${found.length} artifacts, ${formatBytes(found.reduce((s, a) => s + a.size, 0))}`;
  },
};
