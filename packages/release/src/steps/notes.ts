import { byKind, isBuildOutput, type Artifact } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { CA_CHAIN_FILE, CA_TRUSTED_ROOT_FILE, outputNames, stageSteps } from '@orel/plan';
import { subjectOf } from '@orel/sign';
import { X509Certificate, createHash } from 'node:crypto';
import type { ReleaseContext } from '../context.js';
import { keyFor, publishable, publisherFor, stageTargetNames } from '../helpers.js';
import { renderVerifyNotes, type VerifyNotesInput } from '../notes.js';
import { CYCLONEDX_PREDICATE } from '@orel/sbom';
import { SLSA_PROVENANCE_V1 } from '../provenance.js';
import { publishedSbomBinding, sbomAttestations } from './attest-sboms.js';
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

/** Each SBOM attestation with a file it names: the notes' example when it is one. */
function sbomNotes(ctx: ReleaseContext, example: string | undefined): VerifyNotesInput['sboms'] {
  return sbomAttestations(ctx).flatMap((a) => {
    const bound = publishedSbomBinding(ctx, a.subject!);
    const files = typeof bound === 'string' ? [] : bound.files;
    const file = example !== undefined && files.includes(example) ? example : files[0];
    if (file === undefined) return [];
    return [{ attestation: a.name, sbom: a.subject!, type: a.predicateType === CYCLONEDX_PREDICATE ? ('cyclonedx' as const) : ('spdxjson' as const), file }];
  });
}

/** The notes' input from the plan and what this release holds. */
export function notesInput(ctx: ReleaseContext): VerifyNotesInput {
  const plan = ctx.rp.plan;
  const signing = plan.signing;
  const signerType = signing ? plan.signers?.[signing.signer]?.type : undefined;
  const chain = ctx.signer?.certificateChain;
  const root = chain?.length ? new X509Certificate(chain[chain.length - 1]) : undefined;
  const files = publishable(ctx).filter((a) => a.name !== VERIFY_NOTES_NAME);
  // An aggregate checksum file, sha256 preferred; what it lists is a typed fact, not its name.
  const aggregates = ctx.artifacts.list(byKind('checksum')).filter((a) => !a.subject);
  const sums = aggregates.find((a) => (a.algorithm ?? 'sha256') === 'sha256') ?? aggregates[0];
  const v = plan.verification ?? {};
  const example = ctx.artifacts.list(isBuildOutput).map((a) => a.name).sort()[0];
  return {
    release: { name: plan.release.name, version: ctx.rp.vars.version },
    files: files.map((a) => ({ name: a.name, sha256: a.sha256 })),
    downloadBase: downloadBase(ctx, ctx.artifacts.list(isBuildOutput)[0]),
    signing: signing && { mode: signerType === 'keyless' ? 'keyless' : root ? 'ca' : 'key', outputs: signing.outputs, what: signing.what, names: outputNames(signing) },
    ca: root && { chain: CA_CHAIN_FILE, trustedRoot: CA_TRUSTED_ROOT_FILE, root: subjectOf(root), fingerprint: root.fingerprint256 },
    identity: v.identity,
    identityRegexp: v.identityRegexp,
    issuer: v.issuer,
    issuerRegexp: v.issuerRegexp,
    publicKeyName: 'cosign.pub',
    checksumFile: sums?.name,
    checksumAlgorithm: sums?.algorithm,
    trustedRoot: ctx.trust.trustedRootPath,
    tlog: signerType === 'keyless' || signing?.transparencyLog === true,
    rekorV2: signerType === 'keyless' && ctx.trust.rekorVersion === 2,
    // A stage manifest from before predicate types were recorded: the attestation of no file.
    provenance: ctx.artifacts.list(byKind('attestation')).find((a) => a.predicateType === SLSA_PROVENANCE_V1 || (a.predicateType === undefined && a.subject === undefined))?.name,
    sboms: sbomNotes(ctx, example),
  };
}

/** Whether the release publishes VERIFY.md (its steps include `notes`). */
export const publishesNotes = (ctx: ReleaseContext): boolean => stageSteps(ctx.rp.plan, 'release').includes('notes');

/**
 * VERIFY.md rendered once, in memory (it is small): its bytes for the notes
 * step to publish, and its record, which preflight checks destinations
 * against and `orel verify` compares the published copy with.
 */
export function renderNotes(ctx: ReleaseContext): { bytes: Buffer; record: Artifact } {
  const bytes = Buffer.from(renderVerifyNotes(notesInput(ctx)));
  const h = (alg: string) => createHash(alg).update(bytes).digest('hex');
  return { bytes, record: { name: VERIFY_NOTES_NAME, kind: 'notes', size: bytes.length, sha256: h('sha256'), sha512: h('sha512') } };
}

/** VERIFY.md: the exact, tested commands to verify one downloaded file of this release. */
export const notesStep: Step<ReleaseContext> = {
  name: 'notes',
  skip: noTargets,
  async run(ctx) {
    const { bytes, record: a } = renderNotes(ctx);
    ctx.artifacts.upsert(a);
    for (const t of stageTargetNames(ctx)) {
      const p = publisherFor(ctx, t);
      await putOnce(ctx, t, p, a, (key) => p.put({ key, source: { data: bytes }, size: a.size, sha256: a.sha256, artifact: a.name }));
    }
    return `${VERIFY_NOTES_NAME} for ${ctx.rp.plan.release.name} ${ctx.rp.vars.version}`;
  },
};
