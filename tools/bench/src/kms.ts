// KMS signing benchmark: orel's signArtifacts (bounded parallel signing,
// writing <file>.sig) with a Cloud KMS signer against the gRPC test server
// with a fixed latency per call, against one-at-a-time signing through the
// same code path in the same run. Prints both times and the ratio.
//
//   npx tsx tools/bench/src/kms.ts [--count 1000] [--latency-ms 30] [--concurrency 8]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY, type Artifact } from '@orel/core';
import { startKmsServer } from '@orel/kms-server';
import { createKmsSigner, signArtifacts } from '@orel/sign';

export interface KmsBenchOptions {
  count: number;
  latencyMs: number;
  concurrency: number;
}

export interface KmsBenchResult {
  orelMs: number;
  serialMs: number;
  /** serial / orel: how many times faster orel is. */
  speedup: number;
  calls: number;
}

const KEY = 'projects/bench/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1';

function artifacts(count: number, tag: string): Artifact[] {
  return Array.from({ length: count }, (_, i) => {
    const bytes = Buffer.from(`${tag}-${i}`);
    return {
      name: `${tag}-${String(i).padStart(4, '0')}.tar.gz`,
      kind: 'archive',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sha512: createHash('sha512').update(bytes).digest('hex'),
    };
  });
}

export async function runKmsBench(opts: KmsBenchOptions): Promise<KmsBenchResult> {
  const server = await startKmsServer();
  server.addKey(KEY, 'EC_SIGN_P256_SHA256');
  const workDir = mkdtempSync(join(tmpdir(), 'orel-bench-kms-'));
  const signer = await createKmsSigner({ key: `gcpkms://${KEY}`, endpoint: server.endpoint, insecure: true }, { concurrency: opts.concurrency });
  try {
    server.setLatency(opts.latencyMs);
    const timed = async (concurrency: number, tag: string): Promise<number> => {
      const start = performance.now();
      const out = await signArtifacts({ artifacts: artifacts(opts.count, tag), signer, outputs: ['sig'], workDir: join(workDir, tag), concurrency });
      if (out.length !== opts.count) throw new Error(`${tag}: ${out.length} signatures for ${opts.count} artifacts`);
      return performance.now() - start;
    };
    const serialMs = await timed(1, 'serial');
    const orelMs = await timed(opts.concurrency, 'orel');
    return { orelMs, serialMs, speedup: serialMs / orelMs, calls: server.calls.AsymmetricSign ?? 0 };
  } finally {
    await signer.close?.();
    await server.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '1000' },
      'latency-ms': { type: 'string', default: '30' },
      concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
    },
  });
  const opts = { count: Number(values.count), latencyMs: Number(values['latency-ms']), concurrency: Number(values.concurrency) };
  console.log(`artifacts: ${opts.count}, KMS latency: ${opts.latencyMs} ms per call, concurrency: ${opts.concurrency}`);
  const r = await runKmsBench(opts);
  console.log(`one-at-a-time: ${(r.serialMs / 1000).toFixed(2)} s`);
  console.log(`orel:          ${(r.orelMs / 1000).toFixed(2)} s`);
  console.log(`ratio orel/one-at-a-time: ${(r.orelMs / r.serialMs).toFixed(3)} (${r.speedup.toFixed(1)}x faster; ${r.calls} AsymmetricSign calls)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Benchmark the sources, not a possibly stale dist: re-run under the "development" condition.
  if (!process.execArgv.some((a) => a.includes('conditions'))) {
    const r = spawnSync(process.execPath, ['--conditions=development', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
