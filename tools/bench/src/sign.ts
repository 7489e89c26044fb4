// Keyless signing benchmark: N small artifacts signed against the loopback
// Sigstore sandbox with added latency on every request (a real Fulcio/Rekor
// is tens of ms away). orel: one ephemeral key + one certificate per run,
// Rekor uploads in parallel (bounded), bundles written to disk. Baseline: the
// shape of a `cosign sign-blob` loop, run with @sigstore/sign itself: a fresh
// key + certificate + log entry per artifact, one after another. The baseline
// runs on a subset and is extrapolated linearly (printed as such).
//
//   npx tsx tools/bench/src/sign.ts [--artifacts 1000] [--baseline 50] [--latency-ms 50] [--concurrency 32]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Artifact } from '@orel/core';
import { startSandboxSigstore } from '@orel/sandbox';
import { createKeylessSigner, createKeylessWitnesses, signArtifacts } from '@orel/sign';
import { FulcioSigner, MessageSignatureBundleBuilder, RekorWitness } from '@sigstore/sign';

export interface SignBenchOptions {
  artifacts: number;
  baseline: number;
  latencyMs: number;
  concurrency: number;
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
}

function artifact(i: number): Artifact {
  const bytes = Buffer.from(`small artifact ${i}\n`);
  const h = (alg: string) => createHash(alg).update(bytes).digest('hex');
  return { name: `artifact-${String(i).padStart(4, '0')}.txt`, kind: 'binary', size: bytes.length, sha256: h('sha256'), sha512: h('sha512') };
}

export async function runSignBench(o: SignBenchOptions): Promise<SignBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'orel-bench-sign-'));
  const identity = 'bench@example.com';
  const sb = await startSandboxSigstore({ dir: join(dir, 'sandbox'), identity, issuer: 'https://issuer.example.com', latencyMs: o.latencyMs });
  try {
    const artifacts = Array.from({ length: o.artifacts }, (_, i) => artifact(i));

    // orel: one certificate, parallel log uploads, bundles on disk.
    const before = sb.stats();
    const t0 = performance.now();
    const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken() });
    const witnesses = createKeylessWitnesses({ rekor: sb.rekorUrl });
    await signArtifacts({ artifacts, signer, witnesses, outputs: ['bundle'], workDir: join(dir, 'out'), concurrency: o.concurrency });
    const orelMs = performance.now() - t0;
    const after = sb.stats();

    // Baseline: fresh key + certificate + log entry per artifact, serially.
    const t1 = performance.now();
    for (const a of artifacts.slice(0, o.baseline)) {
      const fulcio = new FulcioSigner({ fulcioBaseURL: sb.fulcioUrl, identityProvider: { getToken: async () => sb.mintToken() } });
      const builder = new MessageSignatureBundleBuilder({ signer: fulcio, witnesses: [new RekorWitness({ rekorBaseURL: sb.rekorUrl })] });
      await builder.create({ data: Buffer.from(`small artifact ${a.name}\n`) });
    }
    const baselineMs = performance.now() - t1;
    const baselineExtrapolatedMs = (baselineMs / Math.max(1, o.baseline)) * o.artifacts;
    return {
      artifacts: o.artifacts,
      orelMs,
      certificates: after.fulcio - before.fulcio,
      logEntries: after.rekorEntries - before.rekorEntries,
      baselineArtifacts: o.baseline,
      baselineMs,
      baselineExtrapolatedMs,
      speedup: baselineExtrapolatedMs / orelMs,
    };
  } finally {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatSignBench(r: SignBenchResult, o: SignBenchOptions): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `artifacts: ${r.artifacts} (sandbox Sigstore, +${o.latencyMs} ms on every request)`,
    `orel: ${s(r.orelMs)} — ${r.certificates} certificate(s), ${r.logEntries} log entries, ${o.concurrency} uploads in flight`,
    `baseline (fresh key + certificate + log entry per artifact, serial): ${s(r.baselineMs)} for ${r.baselineArtifacts} artifacts, extrapolated to ${r.artifacts}: ${s(r.baselineExtrapolatedMs)}`,
    `speedup: ${r.speedup.toFixed(1)}x (goal ≥ 20x)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      artifacts: { type: 'string', default: '1000' },
      baseline: { type: 'string', default: '50' },
      'latency-ms': { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '32' },
    },
  });
  const o: SignBenchOptions = {
    artifacts: Number(values.artifacts),
    baseline: Math.min(Number(values.baseline), Number(values.artifacts)),
    latencyMs: Number(values['latency-ms']),
    concurrency: Number(values.concurrency),
  };
  process.stdout.write(formatSignBench(await runSignBench(o), o) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Benchmark the sources, not a possibly stale dist.
  if (!process.execArgv.some((a) => a.includes('conditions'))) {
    const r = spawnSync(process.execPath, ['--conditions=development', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  await main();
}
