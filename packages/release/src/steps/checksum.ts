import { isBuildOutput } from '@orel/core';
import { writeChecksumArtifacts } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import { join } from 'node:path';
import type { ReleaseContext } from '../context.js';

/** Writes SHA256SUMS-style files and per-file .sha256/.sha512 from the recorded digests. */
export const checksumStep: Step<ReleaseContext> = {
  name: 'checksum',
  skip: (ctx) => {
    const c = ctx.rp.plan.checksums;
    return c && ((c.files?.length ?? 0) > 0 || (c.perFile?.length ?? 0) > 0) ? undefined : 'the plan asks for no checksum files';
  },
  async run(ctx) {
    const { files, perFile } = ctx.rp.plan.checksums!;
    // A shard writes its files' own checksum files; the files over every file wait for `orel merge`.
    const spec = ctx.shard ? { perFile } : ctx.run.fromShards ? { files } : { files, perFile };
    const made = await writeChecksumArtifacts(ctx.artifacts.list(isBuildOutput), spec, join(ctx.workDir, 'checksums'));
    for (const a of made) ctx.artifacts.upsert(a);
    return `${made.length} checksum files`;
  },
};
