import type { Step } from '@orel/pipeline';
import type { ReleaseContext } from '../context.js';
import { stageTargetNames } from '../helpers.js';
import { fetchStageManifest, loadStaged } from './check-staged.js';
import { publishesNotes, renderNotes } from './notes.js';

/**
 * `orel verify` starts here: the stage manifest becomes the run's artifacts.
 * Verifying the release targets also renders VERIFY.md again (in memory), so
 * the notes users read are checked byte for byte like every other file.
 */
export const loadStagedStep: Step<ReleaseContext> = {
  name: 'load-staged',
  async run(ctx) {
    const { manifest, from } = await fetchStageManifest(ctx);
    loadStaged(ctx, manifest);
    const notes = ctx.stage === 'release' && publishesNotes(ctx);
    if (notes) ctx.artifacts.upsert(renderNotes(ctx).record);
    return `${manifest.artifacts.length} artifacts from ${from}${notes ? ' (and VERIFY.md)' : ''}; targets ${stageTargetNames(ctx).join(', ')}`;
  },
};
