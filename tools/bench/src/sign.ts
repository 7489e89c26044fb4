// Keyless signing benchmark: N small artifacts signed against the loopback
// Sigstore sandbox, in a process of its own, with added latency on every
// request (a real Fulcio/Rekor is tens of ms away). orel: one ephemeral key + one certificate per run,
// Rekor uploads in parallel (bounded), bundles written to disk. Baseline: the
// shape of a `cosign sign-blob` loop, run with @sigstore/sign itself: a fresh
// key + certificate + log entry per artifact, one after another. The baseline
// runs on a subset and is extrapolated linearly (printed as such). Peers, when
// installed, against the same services: a serial `cosign sign-blob` loop (one
// process per file, as release scripts do) and sigstore-python's own
// multi-file `sigstore sign`, each on a subset, extrapolated the same way.
//
// Then, when the private stack's binaries are installed, orel signs into the
// real rekor-tiles (Rekor v2) with a TSA timestamp per signature, against the
// model of one v2 round trip per concurrency slot.
//
//   npx tsx tools/bench/src/sign.ts [--artifacts 1000] [--baseline 50] [--latency-ms 50] [--concurrency 32 (orel's keyless default)]
//                                   [--cosign 20] [--sigstore-python 200] [--rekor-v2 N (default: --artifacts)] [--rekor-v2-concurrency C] [--runs 3]
import { findGoTool } from '@orel/go-tools';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Artifact } from '@orel/core';
import { clientTrustConfig, signingConfig } from '@orel/sandbox';
import { startRemoteSandbox, type RemoteSandbox } from './remote-sandbox.js';
import { createKeylessSigner, createKeylessWitnesses, signArtifacts, signConcurrency } from '@orel/sign';
import { startPrivateSigstore, stackMissing } from '@orel/sigstore-stack';
import { FulcioSigner, MessageSignatureBundleBuilder, RekorWitness } from '@sigstore/sign';
import { median } from './median.js';

export interface SignBenchOptions {
  artifacts: number;
  baseline: number;
  latencyMs: number;
  concurrency: number;
  /** Files signed by each peer (0: skip it); their time is extrapolated to `artifacts`. */
  cosign?: number;
  sigstorePython?: number;
  /** Artifacts orel signs into the real rekor-tiles (Rekor v2) of the private stack (0: skip). */
  rekorV2?: number;
  /** Signatures in flight for the Rekor v2 run (default: orel's default for v2). */
  rekorV2Concurrency?: number;
}

export interface RekorV2Result {
  artifacts: number;
  ms: number;
  concurrency: number;
  /** One signature alone (certificate already held): a Rekor v2 + TSA round trip. */
  roundTripMs: number;
  /** ceil(artifacts / concurrency) round trips: what a run costs if slots never wait on each other. */
  modelMs: number;
}

export interface PeerResult {
  peer: string;
  version: string;
  artifacts: number;
  ms: number;
  extrapolatedMs: number;
}

export interface SignBenchResult {
  artifacts: number;
  orelMs: number;
  certificates: number;
  logEntries: number;
  baselineArtifacts: number;
  baselineMs: number;
  /** Baseline time per artifact × artifacts. */
  baselineExtrapolatedMs: number;
  speedup: number;
  peers: (PeerResult | { peer: string; skipped: string })[];
  rekorV2: RekorV2Result | { skipped: string };
}

function artifact(i: number): Artifact {
  const bytes = Buffer.from(`small artifact ${i}\n`);
  const h = (alg: string) => createHash(alg).update(bytes).digest('hex');
  return { name: `artifact-${String(i).padStart(4, '0')}.txt`, kind: 'binary', size: bytes.length, sha256: h('sha256'), sha512: h('sha512') };
}

export async function runSignBench(o: SignBenchOptions): Promise<SignBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'orel-bench-sign-'));
  const identity = 'bench@example.com';
  const sb = await startRemoteSandbox({ dir: join(dir, 'sandbox'), identity, issuer: 'https://issuer.example.com', latencyMs: o.latencyMs });
  try {
    const artifacts = Array.from({ length: o.artifacts }, (_, i) => artifact(i));

    // orel: one certificate, parallel log uploads, bundles on disk.
    const before = await sb.stats();
    const t0 = performance.now();
    const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken() });
    const witnesses = createKeylessWitnesses({ rekor: sb.rekorUrl });
    await signArtifacts({ artifacts, signer, witnesses, outputs: ['bundle'], workDir: join(dir, 'out'), concurrency: o.concurrency });
    const orelMs = performance.now() - t0;
    const after = await sb.stats();

    // Baseline: fresh key + certificate + log entry per artifact, serially.
    const t1 = performance.now();
    for (const a of artifacts.slice(0, o.baseline)) {
      const fulcio = new FulcioSigner({ fulcioBaseURL: sb.fulcioUrl, identityProvider: { getToken: async () => sb.mintToken() } });
      const builder = new MessageSignatureBundleBuilder({ signer: fulcio, witnesses: [new RekorWitness({ rekorBaseURL: sb.rekorUrl })] });
      await builder.create({ data: Buffer.from(`small artifact ${a.name}\n`) });
    }
    const baselineMs = performance.now() - t1;
    const baselineExtrapolatedMs = (baselineMs / Math.max(1, o.baseline)) * o.artifacts;
    const peers = await measurePeers(o, sb, dir);
    const rekorV2 = await measureRekorV2(o, dir);
    return {
      artifacts: o.artifacts,
      orelMs,
      certificates: after.fulcio - before.fulcio,
      logEntries: after.rekorEntries - before.rekorEntries,
      baselineArtifacts: o.baseline,
      baselineMs,
      baselineExtrapolatedMs,
      speedup: baselineExtrapolatedMs / orelMs,
      peers,
      rekorV2,
    };
  } finally {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  }
}


/** Each figure the median of its own over several whole runs (ratios too: the median of the per-run ratios). */
export function medianResult(runs: SignBenchResult[]): SignBenchResult {
  const m = (f: (r: SignBenchResult) => number): number => median(runs.map(f));
  const first = runs[0];
  const peers = first.peers.map((p, i) =>
    'skipped' in p ? p : { ...p, ms: median(runs.map((r) => (r.peers[i] as PeerResult).ms)), extrapolatedMs: median(runs.map((r) => (r.peers[i] as PeerResult).extrapolatedMs)) },
  );
  const v2 = first.rekorV2;
  const rekorV2 =
    'skipped' in v2
      ? v2
      : { ...v2, ...Object.fromEntries((['ms', 'roundTripMs', 'modelMs'] as const).map((k) => [k, median(runs.map((r) => (r.rekorV2 as RekorV2Result)[k]))])) };
  return { ...first, orelMs: m((r) => r.orelMs), baselineMs: m((r) => r.baselineMs), baselineExtrapolatedMs: m((r) => r.baselineExtrapolatedMs), speedup: m((r) => r.speedup), peers, rekorV2 };
}

export function formatSignBench(r: SignBenchResult, o: SignBenchOptions, runs = 1): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `artifacts: ${r.artifacts} (sandbox Sigstore, +${o.latencyMs} ms on every request)${runs > 1 ? `; each figure the median of ${runs} runs` : ''}`,
    `orel: ${s(r.orelMs)} — ${r.certificates} certificate(s), ${r.logEntries} log entries, ${o.concurrency} uploads in flight`,
    `baseline (fresh key + certificate + log entry per artifact, serial): ${s(r.baselineMs)} for ${r.baselineArtifacts} artifacts, extrapolated to ${r.artifacts}: ${s(r.baselineExtrapolatedMs)}`,
    `speedup: ${r.speedup.toFixed(1)}x (goal ≥ 50x)`,
    ...r.peers.map((p) =>
      'skipped' in p
        ? `${p.peer}: skipped (${p.skipped})`
        : `${p.peer} ${p.version}: ${s(p.ms)} for ${p.artifacts} artifacts, extrapolated to ${r.artifacts}: ${s(p.extrapolatedMs)}; orel is ${(p.extrapolatedMs / r.orelMs).toFixed(1)}x faster`,
    ),
    'skipped' in r.rekorV2
      ? `orel on Rekor v2: skipped (${r.rekorV2.skipped})`
      : `orel on Rekor v2 (real Fulcio + rekor-tiles + timestamp-authority on loopback, no added latency): ${s(r.rekorV2.ms)} for ${r.rekorV2.artifacts} artifacts, ${r.rekorV2.concurrency} in flight; ` +
        `one signature alone ${r.rekorV2.roundTripMs.toFixed(0)} ms, so ceil(${r.rekorV2.artifacts}/${r.rekorV2.concurrency}) round trips = ${s(r.rekorV2.modelMs)}: ratio ${(r.rekorV2.ms / r.rekorV2.modelMs).toFixed(2)} (goal: not much above 1); ` +
        `beside v1 on the sandbox (+${o.latencyMs} ms): ${s(r.orelMs)} for ${r.artifacts}`,
  ].join('\n');
}

/** orel signing into the private stack's real rekor-tiles, with a timestamp per signature. */
async function measureRekorV2(o: SignBenchOptions, dir: string): Promise<RekorV2Result | { skipped: string }> {
  const n = o.rekorV2 ?? o.artifacts;
  if (!n) return { skipped: '--rekor-v2 0' };
  const missing = stackMissing();
  if (missing) return { skipped: missing };
  const stack = await startPrivateSigstore({ dir: join(dir, 'stack') });
  try {
    const signer = await createKeylessSigner({ fulcio: stack.fulcioUrl }, { token: () => stack.mintToken() });
    const witnesses = createKeylessWitnesses({ rekor: stack.rekorUrl, rekorVersion: 2, tsa: stack.tsaUrl });
    const concurrency = o.rekorV2Concurrency ?? signConcurrency(true, 2);
    const sign = (list: Artifact[], out: string, c = concurrency) => signArtifacts({ artifacts: list, signer, witnesses, outputs: ['bundle'], workDir: join(dir, out), concurrency: c });
    await sign([artifact(-1)], 'v2-warm', 1); // the certificate, once
    const r0 = performance.now();
    for (let i = 0; i < 3; i++) await sign([artifact(-2 - i)], `v2-rtt-${i}`, 1);
    const roundTripMs = (performance.now() - r0) / 3;
    const artifacts = Array.from({ length: n }, (_, i) => artifact(i));
    const t = performance.now();
    await sign(artifacts, 'v2');
    const ms = performance.now() - t;
    return { artifacts: n, ms, concurrency, roundTripMs, modelMs: Math.ceil(n / concurrency) * roundTripMs };
  } finally {
    await stack.close();
  }
}

const run = promisify(execFile);

/**
 * The peers, against the same sandbox services: the files are written first,
 * then timed. cosign: one `sign-blob` per file, one after another.
 * sigstore-python: one `sigstore sign` over all the files (its own parallelism).
 */
async function measurePeers(o: SignBenchOptions, sb: RemoteSandbox, dir: string): Promise<SignBenchResult['peers']> {
  const out: SignBenchResult['peers'] = [];
  const files = (n: number, tag: string) => {
    mkdirSync(join(dir, tag), { recursive: true });
    return Array.from({ length: n }, (_, i) => {
      const f = join(dir, tag, `artifact-${i}.txt`);
      writeFileSync(f, `small artifact ${tag} ${i}\n`);
      return f;
    });
  };
  const signing = join(dir, 'signing.json');
  writeFileSync(signing, JSON.stringify(signingConfig({ fulcioUrl: sb.fulcioUrl, rekorUrl: sb.rekorUrl })));
  const env = { ...process.env, SIGSTORE_NO_CACHE: '1', TUF_ROOT: join(dir, '.tuf-unused') };

  const cosign = findGoTool('cosign');
  if (!o.cosign) out.push({ peer: 'cosign sign-blob loop', skipped: '--cosign 0' });
  else if (!cosign) out.push({ peer: 'cosign sign-blob loop', skipped: 'cosign is not installed' });
  else {
    const version = /GitVersion:\s*(\S+)/.exec((await run(cosign, ['version'], { env })).stdout)?.[1] ?? '?';
    const list = files(o.cosign, 'cosign');
    const token = join(dir, 'token');
    const t = performance.now();
    for (const f of list) {
      writeFileSync(token, sb.mintToken()); // a release script fetches a token per call too
      await run(cosign, ['sign-blob', '--identity-token', token, '--signing-config', signing, '--trusted-root', sb.trustedRootPath, '--bundle', `${f}.sigstore.json`, '-y', f], { env });
    }
    const ms = performance.now() - t;
    out.push({ peer: 'cosign sign-blob loop', version, artifacts: list.length, ms, extrapolatedMs: (ms / list.length) * o.artifacts });
  }

  const sigstore = findGoTool('sigstore');
  if (!o.sigstorePython) out.push({ peer: 'sigstore-python sign (all files, one process)', skipped: '--sigstore-python 0' });
  else if (!sigstore) out.push({ peer: 'sigstore-python sign (all files, one process)', skipped: "sigstore-python is not installed (pip install 'sigstore==4.*')" });
  else {
    const version = (await run(sigstore, ['--version'], { env })).stdout.trim();
    const list = files(o.sigstorePython, 'python');
    const config = join(dir, 'trust_config.json');
    writeFileSync(config, JSON.stringify(clientTrustConfig(sb.trustedRoot, { fulcioUrl: sb.fulcioUrl, rekorUrl: sb.rekorUrl })));
    const t = performance.now();
    await run(sigstore, ['--trust-config', config, 'sign', '--identity-token', sb.mintToken(), ...list], { env, maxBuffer: 64 << 20 });
    const ms = performance.now() - t;
    out.push({ peer: 'sigstore-python sign (all files, one process)', version, artifacts: list.length, ms, extrapolatedMs: (ms / list.length) * o.artifacts });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      artifacts: { type: 'string', default: '1000' },
      baseline: { type: 'string', default: '50' },
      'latency-ms': { type: 'string', default: '50' },
      concurrency: { type: 'string', default: String(signConcurrency(true)) },
      cosign: { type: 'string', default: '20' },
      'sigstore-python': { type: 'string', default: '200' },
      'rekor-v2': { type: 'string' },
      'rekor-v2-concurrency': { type: 'string' },
      runs: { type: 'string', default: '3' },
    },
  });
  const o: SignBenchOptions = {
    artifacts: Number(values.artifacts),
    baseline: Math.min(Number(values.baseline), Number(values.artifacts)),
    latencyMs: Number(values['latency-ms']),
    concurrency: Number(values.concurrency),
    cosign: Number(values.cosign),
    sigstorePython: Number(values['sigstore-python']),
    rekorV2: values['rekor-v2'] === undefined ? undefined : Number(values['rekor-v2']),
    rekorV2Concurrency: values['rekor-v2-concurrency'] === undefined ? undefined : Number(values['rekor-v2-concurrency']),
  };
  const runs = Math.max(1, Number(values.runs));
  const results: SignBenchResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await runSignBench(o));
  process.stdout.write(formatSignBench(medianResult(results), o, runs) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Benchmark the sources, not a possibly stale dist.
  if (!process.execArgv.some((a) => a.includes('conditions'))) {
    const r = spawnSync(process.execPath, ['--conditions=development', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  await main();
}
