import { OrelError, and, byKind, isBuildOutput, not, type Artifact } from '@orel/core';
import { caTrustedRoot, certificateIdentity, identityProblems } from '@orel/verify';
import type { Step } from '@orel/pipeline';
import { CA_CHAIN_FILE, CA_TRUSTED_ROOT_FILE, outputNames } from '@orel/plan';
import { outputArtifact, signArtifacts, signConcurrency, writeOutput } from '@orel/sign';
import type { Signer } from '@orel/core';
import { join } from 'node:path';
import type { ReleaseContext } from '../context.js';

/** The artifacts the plan signs: every build output, or only the aggregate checksum files. */
export function signingSubjects(ctx: ReleaseContext): Artifact[] {
  const what = ctx.rp.plan.signing?.what ?? 'artifacts';
  const aggregateChecksums = and(byKind('checksum'), (a) => a.subject === undefined);
  const subjects = what === 'checksums' ? ctx.artifacts.list(aggregateChecksums) : ctx.artifacts.list(and(isBuildOutput, not(byKind('image'))));
  // `orel merge`: the shards signed their own files.
  const fromShards = ctx.run.fromShards;
  return fromShards ? subjects.filter((a) => !fromShards.has(a.name)) : subjects;
}

/**
 * Keyless: the certificate Fulcio issued must carry the identity and issuer
 * users will be told to check, before anything is signed, logged or uploaded.
 */
export async function checkCertificateIdentity(ctx: ReleaseContext): Promise<void> {
  if (!ctx.signer?.certificatePem || !ctx.rp.plan.verification) return;
  const identity = certificateIdentity(await ctx.signer.certificatePem());
  const problems = identityProblems(identity, ctx.rp.plan.verification);
  if (problems.length) {
    throw new OrelError('POLICY', `the signing certificate issued for this run does not satisfy ${ctx.rp.file}'s verification policy; nothing was signed`, {
      details: problems,
      hint: 'sign with the identity users will verify (the OIDC token of the release workflow), or correct verification.identity / issuer',
    });
  }
}

/**
 * What verifiers get besides the signatures: a key signer's cosign.pub; a
 * CA-certified signer's chain (cosign's --certificate-chain, openssl verify
 * -CAfile) and the Sigstore trusted root holding it (--trusted-root); nothing
 * keyless. The preflight checks their destinations, the sign step writes them.
 */
export async function trustFiles(signer: Signer): Promise<{ name: string; bytes: Buffer }[]> {
  if (signer.publicKeyPem) return [{ name: 'cosign.pub', bytes: Buffer.from(await signer.publicKeyPem()) }];
  const chain = signer.certificateChain;
  if (!chain) return [];
  return [
    { name: CA_CHAIN_FILE, bytes: Buffer.from(chain.join('')) },
    { name: CA_TRUSTED_ROOT_FILE, bytes: Buffer.from(JSON.stringify(caTrustedRoot(chain), null, 2) + '\n') },
  ];
}

/** Signs in parallel within a bound; the journal keeps a re-run from signing twice. */
export const signStep: Step<ReleaseContext> = {
  name: 'sign',
  skip: (ctx) => (!ctx.rp.plan.signing || !ctx.signer ? 'the plan signs nothing' : undefined),
  async run(ctx) {
    const signing = ctx.rp.plan.signing!;
    const subjects = signingSubjects(ctx);
    if (subjects.length === 0) return 'nothing to sign in this run';
    await checkCertificateIdentity(ctx);
    const outputs = await signArtifacts({
      artifacts: subjects,
      signer: ctx.signer!,
      outputs: signing.outputs,
      names: outputNames(signing),
      witnesses: ctx.witnesses,
      workDir: join(ctx.workDir, 'signatures'),
      concurrency: signing.concurrency ?? signConcurrency(ctx.witnesses.length > 0, ctx.trust.rekorVersion),
      journal: ctx.journal,
      onProgress: (done, total) => ctx.reporter.progress('sign', done, total),
    });
    for (const a of outputs) ctx.artifacts.upsert(a);
    for (const f of await trustFiles(ctx.signer!)) {
      await writeOutput(ctx.workDir, f.name, f.bytes);
      ctx.artifacts.upsert(outputArtifact(ctx.workDir, f.name, 'public-key', f.bytes));
    }
    return `${subjects.length} signed with ${ctx.signer!.ref}`;
  },
};
