// Refuse before the first write: every destination of the stage is looked at
// before anything is signed, logged or uploaded, so a squatted object, two
// artifacts at one key or a marker on a released file stops the run while
// every target is still as it was.
import { createHash } from 'node:crypto';
import { OUTPUT_FILES, signJournalKey } from '@orel/sign';
import { OrelError, isBuildOutput, mapLimit, outputName, type Artifact, type Publisher } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { markerFiles } from '@orel/publish';
import { outputNames, sharedCertificateName, stageSteps } from '@orel/plan';
import type { ReleaseContext } from '../context.js';
import { keyFor, publishable, publisherFor, stageTargetNames } from '../helpers.js';
import { markerTargets } from './markers.js';
import { publishesNotes, renderNotes } from './notes.js';
import { noTargets } from './publish.js';
import { signingSubjects, trustFiles } from './sign.js';
import { ATTEST_SBOMS_STEP, makesSbomAttestations, sbomAttestationPlans } from './attest-sboms.js';
import { makesProvenance, PROVENANCE_STEP, provenanceKey, provenanceName, provenanceSubjects } from './provenance.js';

/** What orel writes under a name, told to a user whose build file has that name. */
function describeOutput(a: Artifact): string {
  if (a.kind === 'public-key') return a.name === 'cosign.pub' ? "the release's public key" : `the CA file ${a.name} verifiers are given`;
  if (a.kind === 'certificate' && !a.subject) return 'the certificate every signature is made under';
  if (a.kind === 'attestation') return a.subject ? `the SBOM attestation of ${a.subject}` : "the release's provenance";
  return `the ${{ signature: 'signature', certificate: 'certificate', bundle: 'Sigstore bundle' }[a.kind as string] ?? a.kind} of ${a.subject}`;
}

/**
 * Files orel will make (signatures, crt.pem, cosign.pub...) whose names a
 * file of the build already has: each would replace a build file already
 * checksummed and listed.
 */
function buildNameClashes(ctx: ReleaseContext, made: Artifact[]): string[] {
  return made.flatMap((a) => {
    const file = ctx.artifacts.get(a.name);
    return file && isBuildOutput(file) ? [`${a.name}: a file of the build${file.set ? ` (set ${file.set})` : ''}, and ${describeOutput(a)}`] : [];
  });
}

/** Refuses a run whose outputs would take names of build files, before anything is signed or written. */
function refuseNameClashes(ctx: ReleaseContext, clashes: string[]): void {
  if (!clashes.length) return;
  throw new OrelError('PLAN_INVALID', `${ctx.rp.file}: orel would write files under names the build already uses; nothing was signed or written`, {
    details: clashes.sort(),
    hint: "rename those files (the artifact set's rename:) or leave them out of the sets, or name orel's outputs otherwise (signing.names)",
  });
}

/**
 * What the stage will write, including the signature files and provenance
 * signing will make (their bytes not known yet), and the names among them
 * the build already uses (a build file "x.sig" beside x): each output would
 * replace a file already checksummed and listed.
 */
async function plannedArtifacts(ctx: ReleaseContext): Promise<{ known: Artifact[]; predicted: Artifact[]; clashes: string[] }> {
  const known = publishable(ctx);
  const predicted: Artifact[] = [];
  const trust: Artifact[] = [];
  if (ctx.stage === 'stage' && ctx.rp.plan.signing && ctx.signer && stageSteps(ctx.rp.plan, 'stage').includes('sign')) {
    const certified = !!ctx.signer.certificatePem; // keyless, or a CA-certified key
    const names = outputNames(ctx.rp.plan.signing);
    const sharedCert = sharedCertificateName(ctx.rp.plan);
    for (const s of signingSubjects(ctx)) {
      for (const o of ctx.rp.plan.signing.outputs) {
        if (o === 'cert' && (!certified || sharedCert)) continue;
        predicted.push({ name: outputName(names, o, s.name), kind: OUTPUT_FILES[o].kind, subject: s.name, size: -1, sha256: '', sha512: '' });
      }
    }
    if (sharedCert && certified) predicted.push({ name: sharedCert, kind: 'certificate', size: -1, sha256: '', sha512: '' });
    if (makesProvenance(ctx) && stageSteps(ctx.rp.plan, 'stage').includes('provenance')) {
      predicted.push({ name: provenanceName(ctx), kind: 'attestation', size: -1, sha256: '', sha512: '' });
    }
    // Reads and validates every SBOM: an invalid one refuses the run here.
    if (makesSbomAttestations(ctx)) {
      for (const p of await sbomAttestationPlans(ctx)) predicted.push({ name: p.name, kind: 'attestation', subject: p.sbom.name, size: -1, sha256: '', sha512: '' });
    }
    for (const f of await trustFiles(ctx.signer)) {
      trust.push({ name: f.name, kind: 'public-key', size: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex'), sha512: '' });
    }
    for (const t of trust) if (!known.some((k) => k.name === t.name)) known.push(t);
  }
  if (ctx.stage === 'release' && publishesNotes(ctx)) known.push(renderNotes(ctx).record);
  return { known, predicted, clashes: buildNameClashes(ctx, [...trust, ...predicted]) };
}

/**
 * Whether a destination is free for `a`: absent, or holding exactly its bytes
 * (a digest the target computed, else a re-read). A signature file (or the
 * provenance) not made yet is ours only if this build already signed it (a killed run).
 */
async function free(ctx: ReleaseContext, p: Publisher, key: string, a: Artifact): Promise<boolean> {
  const info = await p.stat(key);
  if (!info) return true;
  if (a.size < 0) {
    if (a.kind === 'attestation' && a.subject) return ctx.journal.isDone(ATTEST_SBOMS_STEP, ctx.run.sboms?.find((p) => p.name === a.name)?.key ?? '');
    if (a.kind === 'attestation') return ctx.journal.isDone(PROVENANCE_STEP, provenanceKey(provenanceSubjects(ctx)));
    // A shared certificate (crt.pem) is published once every file was signed under it.
    const subjects = a.subject ? [ctx.artifacts.get(a.subject)] : a.kind === 'certificate' ? signingSubjects(ctx) : [];
    return subjects.length > 0 && subjects.every((s) => s !== undefined && ctx.journal.isDone('sign', signJournalKey(s)));
  }
  if (info.size !== a.size || (info.sha256 !== undefined && info.sha256 !== a.sha256)) return false;
  return p.digest ? (await p.digest(key)) === a.sha256 : true;
}

export const preflightStep: Step<ReleaseContext> = {
  name: 'preflight',
  skip: noTargets,
  async run(ctx) {
    const { known, predicted, clashes } = await plannedArtifacts(ctx);
    refuseNameClashes(ctx, clashes);
    const knownNames = new Set(known.map((k) => k.name));
    const all = [...known, ...predicted.filter((x) => !knownNames.has(x.name))];
    const conflicts: string[] = [];
    const collisions: string[] = [];
    let checked = 0;
    for (const target of stageTargetNames(ctx)) {
      const p = publisherFor(ctx, target);
      await p.preflight?.();
      const at = new Map<string, string>();
      for (const a of all) {
        const key = keyFor(ctx, target, a);
        const other = at.get(key);
        if (other !== undefined) collisions.push(`${target}: ${other} and ${a.name} would both be published at ${key}`);
        at.set(key, a.name);
      }
      if (ctx.stage === 'release' && ctx.rp.plan.markers && markerTargets(ctx).includes(target)) {
        for (const m of markerFiles(ctx.rp.plan.markers.files, ctx.rp.vars.version, ctx.rp.vars)) {
          if (at.has(m)) collisions.push(`${target}: marker ${m} is where ${at.get(m)} is published; a marker would overwrite it`);
        }
      }
      await mapLimit(all, 16, async (a) => {
        const key = keyFor(ctx, target, a);
        // What this build already wrote (the journal says so, or a shard staged it) is its own.
        if (ctx.journal.isDone('publish', `${target}:${key}`) || ctx.run.fromShards?.has(a.name)) return;
        if (!(await free(ctx, p, key, a))) conflicts.push(`${p.location(key)} already holds other bytes than ${a.name}`);
        checked++;
      });
    }
    if (collisions.length) {
      throw new OrelError('PLAN_INVALID', `${ctx.rp.file}: the layouts put two things at one place; nothing was written`, {
        details: collisions.sort(),
        hint: 'give each target layout a {name} (and {os}/{arch} where names repeat), and keep markers off artifact paths',
      });
    }
    if (conflicts.length) {
      conflicts.sort();
      const first = conflicts.length === 1 ? conflicts[0] : `${conflicts[0]}, and ${conflicts.length - 1} more`;
      throw new OrelError('PUBLISH_CONFLICT', `${first}: destinations already hold other bytes; nothing was signed or written`, {
        details: conflicts,
        hint: 'release a new version (or build id), or remove those objects if they were never really released',
      });
    }
    return `${checked} destinations checked in ${stageTargetNames(ctx).join(', ')}`;
  },
};
