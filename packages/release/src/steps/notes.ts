import { byKind, isBuildOutput, type Artifact } from '@orel/core';
import { digestFile } from '@orel/manifest';
import type { Step } from '@orel/pipeline';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { ReleaseContext } from '../context.js';
import { keyFor, publishable, publisherFor, stageTargetNames } from '../helpers.js';
import { renderVerifyNotes, type VerifyNotesInput } from '../notes.js';
import { noTargets, putOnce } from './publish.js';

export const VERIFY_NOTES_NAME = 'VERIFY.md';

/** Where end users download from, when a target serves over HTTP(S) (GitHub, public URLs). */
function downloadBase(ctx: ReleaseContext, example: Artifact | undefined): string | undefined {
  if (!example) return undefined;
  for (const t of stageTargetNames(ctx)) {
    const loc = publisherFor(ctx, t).location(keyFor(ctx, t, example));
    if (/^https?:\/\//.test(loc)) return loc.slice(0, loc.lastIndexOf('/'));
  }
  return undefined;
}

/** The notes' input from the plan and what this release holds. */
export function notesInput(ctx: ReleaseContext): VerifyNotesInput {
  const plan = ctx.rp.plan;
  const signing = plan.signing;
  const signerType = signing ? plan.signers?.[signing.signer]?.type : undefined;
  const files = publishable(ctx).filter((a) => a.name !== VERIFY_NOTES_NAME);
  // An aggregate checksum file, sha256 preferred; what it lists is a typed fact, not its name.
  const aggregates = ctx.artifacts.list(byKind('checksum')).filter((a) => !a.subject);
  const sums = aggregates.find((a) => (a.algorithm ?? 'sha256') === 'sha256') ?? aggregates[0];
  const v = plan.verification ?? {};
  return {
    release: { name: plan.release.name, version: ctx.rp.vars.version },
    files: files.map((a) => ({ name: a.name, sha256: a.sha256 })),
    downloadBase: downloadBase(ctx, ctx.artifacts.list(isBuildOutput)[0]),
    signing: signing && { mode: signerType === 'keyless' ? 'keyless' : 'key', outputs: signing.outputs, what: signing.what },
    identity: v.identity,
    identityRegexp: v.identityRegexp,
    issuer: v.issuer,
    issuerRegexp: v.issuerRegexp,
    publicKeyName: 'cosign.pub',
    checksumFile: sums?.name,
    checksumAlgorithm: sums?.algorithm,
    trustedRoot: ctx.trust.trustedRootPath,
    tlog: signerType === 'keyless' || signing?.transparencyLog === true,
  };
}

/**
 * Renders VERIFY.md into the work dir and adds it to the artifacts: the notes
 * step publishes it, and `orel verify` renders it again to check what users read.
 */
export async function writeNotes(ctx: ReleaseContext): Promise<Artifact> {
  const file = join(ctx.workDir, VERIFY_NOTES_NAME);
  await mkdir(ctx.workDir, { recursive: true });
  await writeFile(file, renderVerifyNotes(notesInput(ctx)));
  const a: Artifact = { name: VERIFY_NOTES_NAME, kind: 'notes', path: file, ...(await digestFile(file)) };
  ctx.artifacts.upsert(a);
  return a;
}

/** VERIFY.md as it will be published (size and digests), computed in memory: preflight writes nothing. */
export function notesRecord(ctx: ReleaseContext): Artifact {
  const bytes = Buffer.from(renderVerifyNotes(notesInput(ctx)));
  const h = (alg: string) => createHash(alg).update(bytes).digest('hex');
  return { name: VERIFY_NOTES_NAME, kind: 'notes', size: bytes.length, sha256: h('sha256'), sha512: h('sha512') };
}

/** VERIFY.md: the exact, tested commands to verify one downloaded file of this release. */
export const notesStep: Step<ReleaseContext> = {
  name: 'notes',
  skip: noTargets,
  async run(ctx) {
    const a = await writeNotes(ctx);
    const file = a.path!;
    for (const t of stageTargetNames(ctx)) {
      const p = publisherFor(ctx, t);
      await putOnce(ctx, t, p, a, (key) => p.put({ key, source: { path: file }, size: a.size, sha256: a.sha256, artifact: a.name }));
    }
    return `${VERIFY_NOTES_NAME} for ${ctx.rp.plan.release.name} ${ctx.rp.vars.version}`;
  },
};
