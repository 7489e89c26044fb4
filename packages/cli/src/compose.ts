// The composition root. Mock mode is target substitution here and nowhere
// else (krel's --nomock): steps are handed sandbox publishers and a sandbox
// signer and never ask which mode they run in.
import { ArtifactRegistry, OrelError, type Publisher, type Reporter } from '@orel/core';
import { registryAccess, sandboxMapping, type RegistryAccess } from '@orel/oci';
import { FileJournal, MemoryJournal, type Journal } from '@orel/pipeline';
import { writeFileAtomic } from '@orel/manifest';
import { acquireLock } from './lock.js';
import { loadPlan, sharedCertificateName, type ResolvedPlan } from '@orel/plan';
import { PublicUrlReader } from '@orel/publish';
import { STAGE_MANIFEST_NAME, newRunState, parseShard, type Mode, type ReleaseContext, type ReleaseReport, type ShardSpec, type Trust } from '@orel/release';
import { startRegistry } from '@orel/sandbox';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { realPublisher, sandboxPublisher } from './publishers.js';
import { realSigner, sandboxSigner, type Closer, type SignerSetup } from './signers.js';
import { keyTransparencyLog } from './transparency-log.js';

export interface GlobalOptions {
  plan: string;
  nomock?: boolean;
  sandbox?: string;
  buildId?: string;
  /** Overrides release.version (rehearse 1.3.0-rc.1 from the same plan). */
  releaseVersion?: string;
  json?: boolean;
  /** --nomock: publish even when the build differs from the mock rehearsal. */
  skipRehearsalCheck?: boolean;
  verbose?: boolean;
  /** Keyless --nomock: the OIDC identity token (else the plan's, a file, SIGSTORE_ID_TOKEN or ambient CI). */
  identityToken?: string;
  identityTokenFile?: string;
  /** `orel stage --shard I/N`: stage one part of the build. */
  shard?: string;
  /** With --shard: the build output is under this directory (a runner holding only its part). */
  root?: string;
  /** `orel merge --shards N`. */
  shards?: string;
}

export interface Session extends ReleaseContext {
  /** Persistent per-release state (build id, what finished). */
  state: ReleaseState;
  saveState(): Promise<void>;
  /** The command failed with this code: on close, a run that recorded no work leaves the state as it was. */
  fail(code: string): void;
  close(): Promise<void>;
}

export interface ReleaseState {
  buildId: string;
  /** When a stage of this build finished and verified. */
  staged?: string;
  released?: string;
  /** The last command that wrote, and how it ended (status shows a failed or killed run). */
  lastRun?: { command: string; started: string; outcome: 'running' | 'failed' | 'done'; error?: string };
}

export function sandboxDirFor(rp: ResolvedPlan, opts: GlobalOptions): string {
  return resolve(opts.sandbox ?? resolve(rp.dir, rp.plan.sandbox?.dir ?? '.orel/sandbox'));
}

/** Where a run keeps its journal and generated files: inside the sandbox in mock mode. */
function stateDirFor(rp: ResolvedPlan, mode: Mode, sandboxDir: string, shard?: ShardSpec): string {
  const base = mode === 'mock' ? join(sandboxDir, 'state') : resolve(rp.dir, '.orel/state');
  // A shard keeps a journal (and lock) of its own: shards of one build may run side by side.
  return join(base, `${rp.plan.release.name}-${rp.vars.version}${shard ? `.shard-${shard.index}-of-${shard.count}` : ''}`);
}

/** --shard / --shards / --root, checked: shards of one build share a build id given to each of them. */
function shardingOf(opts: GlobalOptions, rp: ResolvedPlan): { shard?: ShardSpec; merge?: { count: number }; artifactsRoot?: string } {
  if (opts.root !== undefined && opts.shard === undefined) throw new OrelError('USAGE', '--root is for a shard: pass --shard I/N with it');
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, opts.root === undefined ? 'hash' : 'root');
  const merge = opts.shards === undefined ? undefined : { count: parseShard(`1/${opts.shards}`).count };
  if ((shard || merge) && !rp.buildIdPinned) {
    throw new OrelError('USAGE', `${shard ? `--shard ${opts.shard}` : 'merge'}: the shards of one build must share its build id, and none was given`, {
      hint: 'pass the same --build-id (e.g. the CI run id) to every `orel stage --shard I/N` and to `orel merge`, or set release.buildId in the plan',
    });
  }
  // Shards sign their own files (what: artifacts); signing only the checksum files happens once, in `orel merge`.
  const shared = sharedCertificateName(rp.plan);
  if (shard && shared && rp.plan.signing!.what === 'artifacts' && rp.plan.signers?.[rp.plan.signing!.signer]?.type === 'keyless') {
    throw new OrelError('USAGE', `--shard ${opts.shard}: ${rp.file} names one certificate for every signature (${shared}), and each shard would sign under a Fulcio certificate of its own`, {
      hint: 'stage unsharded, sign only the checksum files (signing.what: checksums, signed once by `orel merge`), or name certificates per file (signing.naming: kubernetes or cosign)',
    });
  }
  return { shard, merge, artifactsRoot: opts.root === undefined ? undefined : resolve(opts.root) };
}

// ---- session -------------------------------------------------------------

/**
 * Opens a release session. `withSigner: false` (status, plan show) skips the
 * signer, so inspecting a plan never needs its secrets or key services.
 */
export async function openSession(opts: GlobalOptions, reporter: Reporter, stage: string, withSigner = true, writes = false): Promise<Session> {
  // Everything opened is closed on every path: a failure half-way through
  // opening (a sandbox server already listening) must not keep the process alive.
  const closers: Closer[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    closers.length = 0;
  };
  try {
    return await open(opts, reporter, stage, withSigner, writes, closers, closeAll);
  } catch (e) {
    await closeAll();
    throw e;
  }
}

async function readState(stateFile: string): Promise<ReleaseState | undefined> {
  if (!existsSync(stateFile)) return undefined;
  try {
    const s = JSON.parse(await readFile(stateFile, 'utf8')) as ReleaseState;
    if (typeof s?.buildId !== 'string') throw new Error('no buildId');
    return s;
  } catch (e) {
    throw new OrelError('INTEGRITY', `the release state ${stateFile} is damaged: ${(e as Error).message}`, {
      hint: `move ${stateFile} aside and pass --build-id with the build to resume (see its directory names beside it)`,
    });
  }
}

async function open(
  opts: GlobalOptions,
  reporter: Reporter,
  stage: string,
  withSigner: boolean,
  writes: boolean,
  closers: Closer[],
  closeAll: () => Promise<void>,
): Promise<Session> {
  const rp = await loadPlan(resolve(opts.plan), { version: opts.releaseVersion, buildId: opts.buildId });
  for (const w of rp.warnings ?? []) reporter.warn(w);
  const mode: Mode = opts.nomock ? 'nomock' : 'mock';
  const sandboxDir = sandboxDirFor(rp, opts);
  if (mode === 'mock' && existsSync(sandboxDir) && !statSync(sandboxDir).isDirectory()) {
    throw new OrelError('USAGE', `--sandbox ${sandboxDir} is not a directory`, { hint: 'name a directory (it is created when missing), e.g. --sandbox .orel/sandbox' });
  }
  const sharding = shardingOf(opts, rp);
  const stateDir = stateDirFor(rp, mode, sandboxDir, sharding.shard);
  const stateFile = join(stateDir, 'state.json');
  // What the state looked like, so a refused run (nothing recorded) can leave it as it was.
  const stateDirExisted = existsSync(stateDir);
  const prevStateText = existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : undefined;
  // One writing run per state directory: a second one refuses, naming the holder.
  if (writes) closers.push(await acquireLock(stateDir, stage));
  const prev = await readState(stateFile);
  // The build id is the plan's or --build-id when given, else the one this
  // release already started with (a killed run resumes its own build).
  const pinned = rp.buildIdPinned ? rp.vars.buildId : undefined;
  const state: ReleaseState = pinned && prev?.buildId !== pinned ? { buildId: pinned } : (prev ?? { buildId: rp.vars.buildId });
  rp.vars.buildId = state.buildId;
  rp.plan.release.buildId = state.buildId;
  const workDir = join(stateDir, state.buildId);
  const workDirExisted = existsSync(workDir);
  const saveState = async () => {
    await mkdir(stateDir, { recursive: true });
    await writeFileAtomic(stateFile, JSON.stringify(state, null, 1));
  };
  reporter.info(
    mode === 'mock'
      ? `orel: mock mode — every target and signer is replaced by the sandbox in ${sandboxDir} (use --nomock to publish for real)`
      : `orel: nomock mode — publishing to the real targets of ${rp.file}`,
  );

  let failed: string | undefined;
  const publishers = new Map<string, Publisher>();
  for (const t of rp.plan.targets) {
    publishers.set(t.name, mode === 'mock' ? await sandboxPublisher(t, rp, sandboxDir) : await realPublisher(t, rp, reporter));
  }

  let setup: SignerSetup | undefined;
  const signerName = rp.plan.signing?.signer;
  if (signerName && withSigner) {
    const spec = rp.plan.signers![signerName]!;
    setup = mode === 'mock' ? await sandboxSigner(signerName, spec, rp, sandboxDir) : await realSigner(signerName, spec, rp, { token: opts.identityToken, tokenFile: opts.identityTokenFile });
    if (setup.close) closers.push(setup.close);
    if (setup.note) reporter.info(setup.note);
    const log = await keyTransparencyLog(rp, mode, sandboxDir);
    if (log) {
      setup = { ...setup, witnesses: [...setup.witnesses, ...log.witnesses], trust: { ...setup.trust, ...log.trust } };
      if (log.close) closers.push(log.close);
    }
    if (setup.signer.close) closers.push(() => setup!.signer.close!());
  }

  const registries = await registriesFor(rp, mode, sandboxDir, closers);
  // --nomock: verification downloads through a target's public URL when the plan gives one.
  const readers = new Map(
    mode === 'nomock' ? rp.plan.targets.filter((t) => t.publicUrl).map((t) => [t.name, new PublicUrlReader(t.publicUrl!, t.name)] as const) : [],
  );

  const report: ReleaseReport = {
    mode,
    plan: rp.file,
    release: { name: rp.plan.release.name, version: rp.vars.version },
    sandbox: mode === 'mock' ? sandboxDir : undefined,
    stages: [],
    verified: false,
    artifacts: [],
  };
  // Read-only commands (status, plan show, verify) see the journal without creating one.
  const journal: Journal = writes || existsSync(join(workDir, 'journal.jsonl')) ? await FileJournal.open(join(workDir, 'journal.jsonl')) : new MemoryJournal();
  if (journal.close) closers.push(() => journal.close!());
  const rehearsal = mode === 'nomock' && !opts.skipRehearsalCheck ? await findRehearsal(rp, sandboxDir) : undefined;
  if (writes) {
    // Persisted before the first step (the first write), so a run killed at any point resumes this build.
    // (Opening the journal made the work directory.)
    state.lastRun = { command: stage, started: new Date().toISOString(), outcome: 'running' };
    await saveState();
  }
  return {
    rp,
    mode,
    sandboxDir: mode === 'mock' ? sandboxDir : undefined,
    workDir,
    stage,
    ...sharding,
    artifacts: new ArtifactRegistry(),
    signer: setup?.signer,
    witnesses: setup?.witnesses ?? [],
    publishers,
    registries,
    readers,
    rehearsal,
    trust: setup?.trust ?? (await keyTrustFromPlan(rp)),
    reporter,
    journal,
    report,
    run: newRunState(),
    state,
    saveState,
    fail: (code) => void (failed = code),
    async close() {
      await closeAll();
      if (!writes || failed === undefined) return;
      if ((journal as FileJournal).appended === 0) {
        // Refused before the first write: the state directory is left as it was.
        if (!workDirExisted) await rm(workDir, { recursive: true, force: true });
        if (!stateDirExisted) await rm(stateDir, { recursive: true, force: true });
        else if (prevStateText === undefined) await rm(stateFile, { force: true });
        else await writeFileAtomic(stateFile, prevStateText);
        return;
      }
      state.lastRun = { ...state.lastRun!, outcome: 'failed', error: failed };
      await saveState().catch(() => undefined);
    },
  };
}

/** The stage manifest of the last mock-mode rehearsal of this version, if any. */
async function findRehearsal(rp: ResolvedPlan, sandboxDir: string): Promise<{ manifestPath: string } | undefined> {
  const dir = stateDirFor(rp, 'mock', sandboxDir);
  const state = await readFile(join(dir, 'state.json'), 'utf8').then((t) => JSON.parse(t) as ReleaseState, () => undefined);
  const manifestPath = state?.staged ? join(dir, state.buildId, STAGE_MANIFEST_NAME) : undefined;
  return manifestPath && existsSync(manifestPath) ? { manifestPath } : undefined;
}

/**
 * Registries for the image steps. Mock mode runs a loopback docker-registry
 * whose storage persists in the sandbox and maps every staging and release
 * repository into it (images are only read from the real staging registry).
 */
async function registriesFor(rp: ResolvedPlan, mode: Mode, sandboxDir: string, closers: Closer[]): Promise<RegistryAccess | undefined> {
  if (!rp.plan.images?.length) return undefined;
  if (mode === 'nomock') return registryAccess();
  const reg = await startRegistry({ dir: join(sandboxDir, 'registry') }).catch((e: Error) => {
    throw new OrelError('USAGE', `mock mode needs a local registry for the plan's images: ${e.message}`, {
      hint: 'install Debian\'s docker-registry (apt-get install docker-registry), or run with --nomock',
    });
  });
  closers.push(() => reg.close());
  return registryAccess({ map: sandboxMapping(reg.host) });
}

async function keyTrustFromPlan(rp: ResolvedPlan): Promise<Trust> {
  const keyFile = rp.plan.verification?.key;
  return keyFile ? { publicKeyPem: await readFile(resolve(rp.dir, keyFile), 'utf8') } : {};
}
