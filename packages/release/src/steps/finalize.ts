import { canFinalize } from '@orel/core';
import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { publisherFor, stageTargetNames } from '../helpers.js';

/** Last: targets with a finishing act (a GitHub draft becomes a published release). */
export const finalizeStep: Step<ReleaseContext> = {
  name: 'finalize',
  skip: (ctx) =>
    stageTargetNames(ctx).some((t) => canFinalize(publisherFor(ctx, t))) ? undefined : 'no target of this stage needs finalizing',
  async run(ctx) {
    const done: string[] = [];
    for (const t of stageTargetNames(ctx)) {
      const p = publisherFor(ctx, t);
      if (canFinalize(p)) {
        await p.finalize();
        done.push(t);
      }
    }
    return `finalized ${done.join(', ')}`;
  },
};
