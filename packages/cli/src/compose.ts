// The composition root. Mock mode is target substitution here and nowhere
// else (krel's --nomock): steps are handed sandbox publishers and a sandbox
// signer and never ask which mode they run in.
import { ArtifactRegistry, OrelError, type Publisher, type Reporter } from '@orel/core';
import { registryAccess, sandboxMapping, type RegistryAccess } from '@orel/oci';
import { FileJournal } from '@orel/pipeline';
import { loadPlan, type ResolvedPlan } from '@orel/plan';
import { PublicUrlReader } from '@orel/publish';
import { STAGE_MANIFEST_NAME, type Mode, type ReleaseContext, type ReleaseReport, type Trust } from '@orel/release';
import { startRegistry } from '@orel/sandbox';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
}

export interface Session extends ReleaseContext {
  /** Persistent per-release state (build id, what finished). */
  state: ReleaseState;
  saveState(): Promise<void>;
  close(): Promise<void>;
}

export interface ReleaseState {
  buildId: string;
  staged?: string;
  released?: string;
}

export function sandboxDirFor(rp: ResolvedPlan, opts: GlobalOptions): string {
  return resolve(opts.sandbox ?? resolve(rp.dir, rp.plan.sandbox?.dir ?? '.orel/sandbox'));
}

/** Where a run keeps its journal and generated files: inside the sandbox in mock mode. */
function stateDirFor(rp: ResolvedPlan, mode: Mode, sandboxDir: string): string {
  const base = mode === 'mock' ? join(sandboxDir, 'state') : resolve(rp.dir, '.orel/state');
  return join(base, `${rp.plan.release.name}-${rp.vars.version}`);
}

// ---- session -------------------------------------------------------------

/**
 * Opens a release session. `withSigner: false` (status, plan show) skips the
 * signer, so inspecting a plan never needs its secrets or key services.
 */
export async function openSession(opts: GlobalOptions, reporter: Reporter, stage: string, withSigner = true): Promise<Session> {
  const rp = await loadPlan(resolve(opts.plan), { version: opts.releaseVersion });
  for (const w of rp.warnings ?? []) reporter.warn(w);
  const mode: Mode = opts.nomock ? 'nomock' : 'mock';
  const sandboxDir = sandboxDirFor(rp, opts);
  const stateDir = stateDirFor(rp, mode, sandboxDir);
  const stateFile = join(stateDir, 'state.json');
  const prev = existsSync(stateFile) ? (JSON.parse(await readFile(stateFile, 'utf8')) as ReleaseState) : undefined;
  const state: ReleaseState = opts.buildId && prev?.buildId !== opts.buildId ? { buildId: opts.buildId } : (prev ?? { buildId: rp.vars.buildId });
  rp.vars.buildId = state.buildId;
  const workDir = join(stateDir, state.buildId);
  await mkdir(workDir, { recursive: true });

  reporter.info(
    mode === 'mock'
      ? `orel: mock mode — every target and signer is replaced by the sandbox in ${sandboxDir} (use --nomock to publish for real)`
      : `orel: nomock mode — publishing to the real targets of ${rp.file}`,
  );

  const closers: Closer[] = [];
  const publishers = new Map<string, Publisher>();
  for (const t of rp.plan.targets) {
    publishers.set(t.name, mode === 'mock' ? await sandboxPublisher(t, rp, sandboxDir) : await realPublisher(t, rp, reporter));
  }

  let setup: SignerSetup | undefined;
  const signerName = rp.plan.signing?.signer;
  if (signerName && withSigner) {
    const spec = rp.plan.signers![signerName]!;
    setup = mode === 'mock' ? await sandboxSigner(signerName, spec, rp, sandboxDir) : await realSigner(signerName, spec, rp);
    if (setup.close) closers.push(setup.close);
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
  const journal = await FileJournal.open(join(workDir, 'journal.json'));
  const rehearsal = mode === 'nomock' && !opts.skipRehearsalCheck ? await findRehearsal(rp, sandboxDir) : undefined;
  return {
    rp,
    mode,
    sandboxDir: mode === 'mock' ? sandboxDir : undefined,
    workDir,
    stage,
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
    state,
    async saveState() {
      await mkdir(stateDir, { recursive: true });
      await writeFile(stateFile, JSON.stringify(state, null, 1));
    },
    async close() {
      for (const c of closers.reverse()) await c().catch(() => undefined);
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
