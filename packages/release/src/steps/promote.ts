import { OrelError, canPromote, type Artifact, type Publisher, type PutResult, type StagedLocation } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ReleaseContext } from '../context.js';
import { publisherFor } from '../helpers.js';
import { noTargets, putEverywhere } from './publish.js';

function stagedRef(a: Artifact): StagedLocation {
  const staged = a.staged?.[0];
  if (!staged) throw new OrelError('INTERNAL', `artifact ${a.name} has no staged location (run check-staged first)`);
  return staged;
}

/** Copies through a temp file when the target cannot copy server-side (e.g. staging dir → GitHub release). */
async function copyViaTemp(ctx: ReleaseContext, src: Publisher, fromKey: string, dest: Publisher, toKey: string, a: Artifact): Promise<PutResult> {
  const dir = join(ctx.workDir, 'promote-tmp');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${a.name}.${process.pid}.part`);
  try {
    await pipeline(await src.read(fromKey), createWriteStream(tmp));
    return await dest.put({ key: toKey, source: { path: tmp }, size: a.size, sha256: a.sha256, artifact: a.name });
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Promotes every staged object to the release targets: exactly the staged bytes, never overwriting. */
export const promoteStep: Step<ReleaseContext> = {
  name: 'promote',
  skip: noTargets,
  run: (ctx) =>
    putEverywhere(ctx, 'promote', (dest, a, toKey) => {
      const from = stagedRef(a);
      const src = publisherFor(ctx, from.target);
      return canPromote(dest, src)
        ? dest.promoteFrom(src, from.key, toKey, { sha256: a.sha256, size: a.size })
        : copyViaTemp(ctx, src, from.key, dest, toKey, a);
    }),
};
