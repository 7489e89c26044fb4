// One signed attestation per journal key: the statement is signed as a DSSE
// Sigstore bundle with the plan's signer once (its certificate checked
// against the policy first); a re-run (a killed stage)
// reuses the bundle the journal recorded, since its bytes may already be
// published or attached to an image, and signing again would make others.
import { join } from 'node:path';
import { outputArtifact, readOutput, serializeBundle, signDsseBundle, writeOutput, type Statement } from '@orel/sign';
import type { Artifact } from '@orel/core';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import type { ReleaseContext } from './context.js';
import { checkCertificateIdentity } from './steps/sign.js';

export const attestationDir = (ctx: ReleaseContext): string => join(ctx.workDir, 'attestations');

export interface Attestation {
  artifact: Artifact;
  bundle: Bundle;
  reused: boolean;
}

export async function attestOnce(
  ctx: ReleaseContext,
  o: { step: string; key: string; name: string; subject?: string; predicateType: string; statement: () => Statement; what: string },
): Promise<Attestation> {
  const dir = attestationDir(ctx);
  const done = ctx.journal.isDone(o.step, o.key) ? await readOutput(dir, o.name) : undefined;
  if (done) {
    const artifact: Artifact = { ...outputArtifact(dir, o.name, 'attestation', done, o.subject), predicateType: o.predicateType };
    ctx.artifacts.upsert(artifact);
    return { artifact, bundle: bundleFromJSON(JSON.parse(done.toString('utf8'))), reused: true };
  }
  await checkCertificateIdentity(ctx);
  const bundle = await signDsseBundle({ payload: Buffer.from(JSON.stringify(o.statement())), signer: ctx.signer!, witnesses: ctx.witnesses, what: o.what });
  const bytes = serializeBundle(bundle);
  await writeOutput(dir, o.name, bytes);
  await ctx.journal.record(o.step, o.key);
  const artifact: Artifact = { ...outputArtifact(dir, o.name, 'attestation', bytes, o.subject), predicateType: o.predicateType };
  ctx.artifacts.upsert(artifact);
  return { artifact, bundle, reused: false };
}
