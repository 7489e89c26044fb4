// Signs artifacts by their recorded digests and writes the outputs the plan
// asks for (<name>.sigstore.json, <name>.sig, <name>.cert, or one shared
// certificate such as Spin's crt.pem) into a work dir.
import { X509Certificate, createHash } from 'node:crypto';
import {
  DEFAULT_CONCURRENCY,
  KUBERNETES_OUTPUT_NAMES,
  OrelError,
  mapLimit,
  outputName,
  sharedOutputName,
  type Artifact,
  type HashAlgorithm,
  type KeyMaterial,
  type OutputNames,
  type SignatureResult,
  type Signer,
} from '@orel/core';
import { buildMessageBundle, serializeBundle, type Witness } from './outputs-bundle.js';
import { signerDigest } from './signer-digest.js';
import { OUTPUT_FILES, certFileBytes, certificateFileBytes, outputArtifact, readOutput, sigFileBytes, writeOutput, type OutputKind } from './outputs-files.js';

/** The part of the pipeline journal signing needs (structurally the pipeline's Journal). */
export interface SignJournal {
  isDone(step: string, key: string): boolean;
  get(step: string, key: string): unknown;
  record(step: string, key: string, value: unknown): Promise<void>;
}

export interface SignArtifactsOptions {
  artifacts: Artifact[];
  signer: Signer;
  outputs: OutputKind[];
  /**
   * How each output is named (default: the Kubernetes layout). A shared
   * certificate is written once, and every signature must be made under it:
   * a re-run keeps the one every file was already signed under, else signs
   * again, under the signer's, what an earlier run signed under another.
   */
  names?: OutputNames;
  /** Transparency log / timestamp witnesses (@sigstore/sign RekorWitness, TSAWitness); they run for every signature. */
  witnesses?: Witness[];
  workDir: string;
  /** Signatures in flight (default 8). */
  concurrency?: number;
  /** Resume: artifacts recorded here are not signed again; their files are re-read from workDir. */
  journal?: SignJournal;
  onProgress?: (done: number, total: number) => void;
}

export const SIGN_STEP = 'sign';

/** Journal key: a new build of the same name (other bytes) is signed again. */
export const signJournalKey = (a: Artifact): string => `${a.name}@sha256:${a.sha256}`;

interface SignRecord {
  /** Outputs asked for when signed: a re-run asking for more signs again. */
  outputs: OutputKind[];
  files: { name: string; kind: Artifact['kind'] }[];
  /** sha256 of the shared certificate the signature was made under (a shared-certificate run). */
  certificate?: string;
}

/**
 * Signatures in flight by default. A signature that waits on a transparency
 * log (keyless, or a key signer with transparencyLog) is a network round trip
 * of 50–500 ms with next to no CPU: 32 keep a 1,000-artifact release near
 * 1,000 / 32 round trips. Rekor v2 answers once a checkpoint covers the entry
 * (about a second) and batches what arrives meanwhile, so more wait at once.
 * A local or KMS key: 8 (CPU, KMS quotas).
 */
const REKOR_V2_CONCURRENCY = 128;

export function signConcurrency(logged: boolean, rekorVersion: 1 | 2 = 1): number {
  if (!logged) return DEFAULT_CONCURRENCY;
  return rekorVersion === 2 ? REKOR_V2_CONCURRENCY : 32;
}

/** The run's shared certificate: its file name and PEM (the signer's one certificate), when the plan names one. */
interface SharedCertificate {
  name: string;
  pem: string;
  sha256: string;
}

/** Options resolved once per run. */
type SignRun = SignArtifactsOptions & { names: OutputNames; shared?: SharedCertificate };

const outputFileName = (run: SignRun, o: OutputKind, a: Artifact): string => outputName(run.names, o, a.name);

/** Journal step of the shared certificates signatures were made under (PEM by sha256). */
export const SIGN_CERTIFICATE_STEP = 'sign-certificate';

const sha256Of = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The run's shared certificate: the one every file was already signed under
 * (a run killed after signing, maybe while publishing: what it published
 * stays valid), else the signer's, journaled before any signature.
 */
async function sharedCertificate(opts: SignArtifactsOptions, names: OutputNames): Promise<SharedCertificate | undefined> {
  const name = opts.outputs.includes('cert') ? sharedOutputName(names, 'cert') : undefined;
  if (!name || !opts.signer.certificatePem) return undefined; // a key signer has no certificate to write
  const earlier = certificateOfEarlierRun(opts);
  if (earlier) return { name, ...earlier };
  const pem = await opts.signer.certificatePem();
  const sha256 = sha256Of(pem);
  await opts.journal?.record(SIGN_CERTIFICATE_STEP, sha256, { pem });
  return { name, pem, sha256 };
}

function certificateOfEarlierRun(opts: SignArtifactsOptions): { pem: string; sha256: string } | undefined {
  const journal = opts.journal;
  if (!journal || opts.artifacts.length === 0) return undefined;
  const under = new Set(opts.artifacts.map((a) => journal.isDone(SIGN_STEP, signJournalKey(a)) && (journal.get(SIGN_STEP, signJournalKey(a)) as SignRecord | undefined)?.certificate));
  const [sha256] = under;
  if (under.size !== 1 || typeof sha256 !== 'string') return undefined;
  const pem = (journal.get(SIGN_CERTIFICATE_STEP, sha256) as { pem?: string } | undefined)?.pem;
  return pem !== undefined && sha256Of(pem) === sha256 ? { pem, sha256 } : undefined;
}

/** Signs every artifact (bounded parallelism) and returns the output artifacts, in input order (a shared certificate last). */
export async function signArtifacts(opts: SignArtifactsOptions): Promise<Artifact[]> {
  const { artifacts } = opts;
  const names = opts.names ?? KUBERNETES_OUTPUT_NAMES;
  const run: SignRun = { ...opts, names, shared: await sharedCertificate(opts, names) };
  let done = 0;
  const perArtifact = await mapLimit(artifacts, opts.concurrency ?? DEFAULT_CONCURRENCY, async (a) => {
    const resumed = await resumeFromJournal(a, run);
    const out = resumed ? resumed.filter((f) => opts.outputs.some((o) => f.name === outputFileName(run, o, a))) : await signOne(a, run);
    opts.onProgress?.(++done, artifacts.length);
    return out;
  });
  const out = perArtifact.flat();
  if (run.shared) {
    const bytes = certificateFileBytes(run.shared.pem);
    await writeOutput(opts.workDir, run.shared.name, bytes);
    out.push(outputArtifact(opts.workDir, run.shared.name, 'certificate', bytes));
  }
  return out;
}

async function resumeFromJournal(a: Artifact, opts: SignRun): Promise<Artifact[] | undefined> {
  const key = signJournalKey(a);
  if (!opts.journal?.isDone(SIGN_STEP, key)) return undefined;
  const record = opts.journal.get(SIGN_STEP, key) as SignRecord | undefined;
  if (!record?.files || !opts.outputs.every((o) => record.outputs?.includes(o))) return undefined;
  // Made under another certificate than the shared one (an earlier run's): signed again under this one.
  if (opts.shared && record.certificate !== opts.shared.sha256) return undefined;
  // Made under other names (the plan's naming changed since): signed again under the new ones.
  const renamed = opts.outputs.some((o) => {
    if (o === 'cert' && opts.shared) return false; // written once per run, not per file
    const made = record.files.filter((f) => f.kind === OUTPUT_FILES[o].kind);
    return made.length > 0 && !made.some((f) => f.name === outputFileName(opts, o, a));
  });
  if (renamed) return undefined;
  const out: Artifact[] = [];
  for (const f of record.files) {
    const bytes = await readOutput(opts.workDir, f.name);
    if (!bytes) return undefined; // work dir was cleaned: sign again
    out.push(outputArtifact(opts.workDir, f.name, f.kind, bytes, a.name));
  }
  return out;
}

/** The digest a signer wants, from the artifact record (never re-hashed). */
export function artifactDigest(a: Artifact, algorithm: HashAlgorithm): Buffer {
  const hex = algorithm === 'sha256' ? a.sha256 : algorithm === 'sha512' ? a.sha512 : undefined;
  const bytes = algorithm === 'sha256' ? 32 : 64;
  if (hex === undefined) {
    throw new OrelError('SIGN_FAILED', `${a.name}: the signer needs a ${algorithm} digest; artifacts record sha256 and sha512 only`);
  }
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`, 'i').test(hex)) {
    throw new OrelError('SIGN_FAILED', `${a.name}: recorded ${algorithm} "${hex}" is not a hex digest`);
  }
  return Buffer.from(hex, 'hex');
}

/** Journal step of signatures made but not yet witnessed (logged in Rekor, timestamped). */
export const SIGN_PENDING_STEP = 'sign-pending';

interface PendingSignature {
  signature: string; // base64
  key: KeyMaterial;
}

/**
 * The signature to witness: the one journaled before a crash (so a re-run
 * logs the same entry again, which Rekor answers with 409 and the existing
 * entry, instead of making a second one), else a new one, journaled before
 * any witness sees it. A keyless certificate that expired since is not reused.
 */
async function signatureFor(a: Artifact, digest: Buffer, algorithm: HashAlgorithm, opts: SignRun): Promise<SignatureResult> {
  const key = signJournalKey(a);
  const pending = opts.journal?.get(SIGN_PENDING_STEP, key) as PendingSignature | undefined;
  if (pending && stillValid(pending.key) && underShared(pending.key, opts)) return { signature: Buffer.from(pending.signature, 'base64'), key: pending.key };
  const result = await opts.signer.signDigest(digest, algorithm);
  if ((opts.witnesses?.length ?? 0) > 0) {
    const record: PendingSignature = { signature: result.signature.toString('base64'), key: result.key };
    await opts.journal?.record(SIGN_PENDING_STEP, key, record);
  }
  return result;
}

/** Whether a signature's key material is the run's shared certificate (true when none is shared). */
const underShared = (key: KeyMaterial, opts: SignRun): boolean => !opts.shared || (key.$case === 'x509Certificate' && key.certificate === opts.shared.pem);

function stillValid(key: KeyMaterial): boolean {
  if (key.$case !== 'x509Certificate') return true;
  try {
    return Date.parse(new X509Certificate(key.certificate).validTo) > Date.now() + 60_000;
  } catch {
    return false;
  }
}

async function signOne(a: Artifact, opts: SignRun): Promise<Artifact[]> {
  const algorithm = opts.signer.hashAlgorithm;
  const digest = await signerDigest(a, algorithm);
  let files: { name: string; kind: Artifact['kind']; bytes: Buffer }[];
  try {
    const result = await signatureFor(a, digest, algorithm, opts);
    if (!underShared(result.key, opts)) {
      // The signer renewed its certificate mid-run (a Fulcio certificate lasts 10 minutes), or signs
      // again what a killed run signed under its own: the shared file cannot vouch for this signature.
      throw new OrelError('SIGN_FAILED', `${a.name} was signed under another certificate than the shared ${opts.shared!.name} holds, and one shared certificate must cover every signature (the signer renewed its certificate during the run, or an earlier run's outputs are gone from the work dir)`, {
        hint: 'name the certificate per file (signing.naming: kubernetes or cosign), or sign fewer files per run (signing.what: checksums signs one)',
      });
    }
    // Witnesses (Rekor, TSA) run even when no bundle file is asked for: a
    // keyless .sig + .cert is only checkable once its entry is in the log.
    const bundle =
      opts.outputs.includes('bundle') || (opts.witnesses?.length ?? 0) > 0
        ? await buildMessageBundle({ digest, algorithm, result, witnesses: opts.witnesses })
        : undefined;
    files = [];
    for (const output of opts.outputs) {
      if (output === 'cert' && opts.shared) continue; // written once, after every signature
      const bytes =
        output === 'bundle'
          ? serializeBundle(bundle!)
          : output === 'sig'
            ? sigFileBytes(result)
            : certFileBytes(result); // key signers have no certificate: nothing to write
      if (bytes) files.push({ name: outputFileName(opts, output, a), kind: OUTPUT_FILES[output].kind, bytes });
    }
  } catch (e) {
    if (e instanceof OrelError) throw e;
    throw new OrelError('SIGN_FAILED', `signing ${a.name} with ${opts.signer.ref} failed: ${(e as Error).message ?? e}`, { cause: e });
  }
  for (const f of files) await writeOutput(opts.workDir, f.name, f.bytes);
  const record: SignRecord = { outputs: [...opts.outputs], files: files.map(({ name, kind }) => ({ name, kind })), ...(opts.shared ? { certificate: opts.shared.sha256 } : {}) };
  await opts.journal?.record(SIGN_STEP, signJournalKey(a), record);
  return files.map((f) => outputArtifact(opts.workDir, f.name, f.kind, f.bytes, a.name));
}
