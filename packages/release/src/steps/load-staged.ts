import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { stageTargetNames } from '../helpers.js';
import { fetchStageManifest, loadStaged } from './check-staged.js';
import { writeNotes } from './notes.js';
import { stageSteps } from '@orel/plan';

/**
 * `orel verify` starts here: the stage manifest becomes the run's artifacts.
 * Verifying the release targets also renders VERIFY.md again, so the notes
 * users read are checked byte for byte like every other file.
 */
export const loadStagedStep: Step<ReleaseContext> = {
  name: 'load-staged',
  async run(ctx) {
    const { manifest, from } = await fetchStageManifest(ctx);
    loadStaged(ctx, manifest);
    const notes = ctx.stage === 'release' && ctx.rp.plan.stages?.release !== undefined && stageSteps(ctx.rp.plan, 'release').includes('notes');
    if (notes) await writeNotes(ctx);
    return `${manifest.artifacts.length} artifacts from ${from}${notes ? ' (and VERIFY.md)' : ''}; targets ${stageTargetNames(ctx).join(', ')}`;
  },
};
