// Sharded stage: the wall time of `orel stage` in one process against N shard
// processes at once plus `orel merge`, on the same N small files (mock mode,
// key signer, one sandbox). The shards share this machine's two cores, so the
// figure that matters is the merge: its cost must stay small and flat in N.
//
//   npx tsx tools/bench/src/shards.ts [--artifacts 2000] [--shards 1,2,4,8] [--runs 3]
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './median.js';
import { SCALE_PLAN, workspace } from './scale.js';

const CLI = fileURLToPath(new URL('../../../packages/cli/bin/orel.js', import.meta.url));

// The scale benchmark's plan, with a provenance over every file (made at merge).
const PLAN = SCALE_PLAN.replace('name: scale', 'name: shards').replace('\ntargets:', '\nattestations: { provenance: true }\ntargets:');

/** Runs the CLI in `dir`; resolves to its wall time in ms. */
function orel(dir: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--plan', 'release.yaml', '--sandbox', 'sandbox'], {
      cwd: dir,
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none', CI: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => void (err = (err + c.toString()).slice(-3000)));
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`orel ${args.join(' ')} exited ${code}:\n${err}`))));
  });
}

export interface ShardPoint {
  shards: number;
  /** All shards at once, until the last one finished. */
  stageMs: number;
  mergeMs: number;
}

export interface ShardBenchResult {
  artifacts: number;
  oneProcessMs: number;
  points: ShardPoint[];
}

export async function runShardBench(artifacts: number, counts: number[], runs = 1): Promise<ShardBenchResult> {
  const dir = workspace(artifacts, PLAN);
  try {
    const one: number[] = [];
    const per = new Map<number, { stage: number[]; merge: number[] }>(counts.map((n) => [n, { stage: [], merge: [] }]));
    for (let r = 0; r < runs; r++) {
      one.push(await orel(dir, ['stage', '--build-id', `one-${r}`]));
      for (const n of counts) {
        const build = `s${n}-${r}`;
        const t0 = performance.now();
        await Promise.all(Array.from({ length: n }, (_, i) => orel(dir, ['stage', '--shard', `${i + 1}/${n}`, '--build-id', build])));
        per.get(n)!.stage.push(performance.now() - t0);
        per.get(n)!.merge.push(await orel(dir, ['merge', '--shards', String(n), '--build-id', build]));
      }
    }
    return { artifacts, oneProcessMs: median(one), points: counts.map((n) => ({ shards: n, stageMs: median(per.get(n)!.stage), mergeMs: median(per.get(n)!.merge) })) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { artifacts: { type: 'string', default: '2000' }, shards: { type: 'string', default: '1,2,4,8' }, runs: { type: 'string', default: '3' } } });
  const runs = Number(values.runs);
  const r = await runShardBench(Number(values.artifacts), values.shards.split(',').map(Number), runs);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`${r.artifacts} artifacts (mock mode, key signer, provenance), medians of ${runs} runs; one process: orel stage ${s(r.oneProcessMs)}`);
  console.log('shards  stage (all at once)  merge    stage + merge vs one process');
  for (const p of r.points) {
    console.log(`${String(p.shards).padStart(6)}  ${s(p.stageMs).padStart(19)}  ${s(p.mergeMs).padStart(7)}  ${((p.stageMs + p.mergeMs) / r.oneProcessMs).toFixed(2)}`);
  }
  const merges = r.points.map((p) => p.mergeMs);
  console.log(`merge: ${(Math.max(...merges) / Math.min(...merges)).toFixed(2)}× between the fastest and slowest N (flat in N: goal ≤ 1.5); ${((median(merges) / r.oneProcessMs) * 100).toFixed(0)}% of a one-process stage`);
}
