// Scale curve: a full mock `orel release` (key signer: the sandbox key) of N
// small files (1–4 KiB) for each N, run as the CLI users run, in a child
// process. Prints wall time, peak RSS, bytes the process wrote (wchar, from
// /proc/self/io at exit: files, journal, state and output) and the cost per
// artifact, and the ratio of the per-artifact cost at the largest N to the
// smallest-but-one (the flatness test: N = 10,000 against 1,000).
//
//   npx tsx tools/bench/src/scale.ts [--sizes 100,1000,10000] [--runs 1]
//   OREL_BENCH_CPU_PROF=<dir>: each release writes a V8 CPU profile there.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './median.js';

const CLI = fileURLToPath(new URL('../../../packages/cli/bin/orel.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./io-probe.mjs', import.meta.url));

export interface ScalePoint {
  artifacts: number;
  wallMs: number;
  peakRssMb: number;
  writtenMb: number;
  msPerArtifact: number;
  kbWrittenPerArtifact: number;
}

/** The plan every size releases (staging keeps builds apart by default: stage/{version}/{buildId}/{name}). */
export const SCALE_PLAN = `apiVersion: orel.dev/v1
release: { name: scale, version: 1.0.0 }
artifacts:
  root: dist
  sets:
    - { name: files, kind: binary, include: ["files/*"] }
checksums:
  files: [{ name: SHA256SUMS, algorithm: sha256 }]
signers:
  key: { type: key, key: cosign.key }
signing: { signer: key, what: artifacts, outputs: [bundle] }
targets:
  - { name: staging, url: "file://out/staging" }
  - name: release
    url: file://out/release
    layout: { default: "release/{version}/{name}" }
stages:
  stage: { targets: [staging] }
  release: { targets: [release] }
`;

/** A workspace with N files of 1–4 KiB and the plan. */
export function workspace(n: number, plan = SCALE_PLAN): string {
  const dir = mkdtempSync(join(tmpdir(), `orel-bench-scale-${n}-`));
  mkdirSync(join(dir, 'dist/files'), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(dir, 'dist/files', `file-${String(i).padStart(5, '0')}.bin`), randomBytes(1024 + ((i * 7919) % 3072)));
  writeFileSync(join(dir, 'cosign.key'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'release.yaml'), plan);
  return dir;
}

async function releaseOnce(n: number): Promise<ScalePoint> {
  const dir = workspace(n);
  try {
    const probeOut = join(dir, 'probe.json');
    const t0 = performance.now();
    const status = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [...(process.env.OREL_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.OREL_BENCH_CPU_PROF}`] : []), '--import', PROBE, CLI, 'release', '--plan', 'release.yaml'], {
        cwd: dir,
        env: { ...process.env, OREL_BENCH_PROBE: probeOut, METADATA_SERVER_DETECTION: 'none', CI: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => void (err = (err + c.toString()).slice(-4000)));
      child.on('exit', (code) => {
        if (code !== 0) process.stderr.write(err);
        resolve(code ?? 1);
      });
    });
    const wallMs = performance.now() - t0;
    if (status !== 0) throw new Error(`orel release of ${n} artifacts exited ${status}`);
    const probe = JSON.parse(readFileSync(probeOut, 'utf8')) as { maxRssKb: number; wchar: number };
    return {
      artifacts: n,
      wallMs,
      peakRssMb: probe.maxRssKb / 1024,
      writtenMb: probe.wchar / 2 ** 20,
      msPerArtifact: wallMs / n,
      kbWrittenPerArtifact: probe.wchar / 1024 / n,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/** The median of `runs` releases at each size (each figure its own median). */
export async function runScaleBench(sizes: number[], runs = 1): Promise<ScalePoint[]> {
  const out: ScalePoint[] = [];
  for (const n of sizes) {
    const points: ScalePoint[] = [];
    for (let r = 0; r < runs; r++) points.push(await releaseOnce(n));
    const m = (k: keyof ScalePoint) => median(points.map((p) => p[k]));
    out.push({ artifacts: n, wallMs: m('wallMs'), peakRssMb: m('peakRssMb'), writtenMb: m('writtenMb'), msPerArtifact: m('msPerArtifact'), kbWrittenPerArtifact: m('kbWrittenPerArtifact') });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1000,10000' }, runs: { type: 'string', default: '1' } } });
  const sizes = values.sizes.split(',').map(Number);
  const points = await runScaleBench(sizes, Number(values.runs));
  console.log('artifacts  wall      peak RSS   written    per artifact');
  for (const p of points) {
    console.log(
      `${String(p.artifacts).padStart(9)}  ${(p.wallMs / 1000).toFixed(1).padStart(6)} s  ${p.peakRssMb.toFixed(0).padStart(6)} MB  ${p.writtenMb.toFixed(1).padStart(7)} MB  ${p.msPerArtifact.toFixed(2)} ms, ${p.kbWrittenPerArtifact.toFixed(1)} KB`,
    );
  }
  if (points.length >= 2) {
    const [base, top] = [points[points.length - 2], points[points.length - 1]];
    console.log(`per-artifact ratio ${top.artifacts} vs ${base.artifacts}: wall ${(top.msPerArtifact / base.msPerArtifact).toFixed(2)}, bytes written ${(top.kbWrittenPerArtifact / base.kbWrittenPerArtifact).toFixed(2)} (goal ≤ 1.5)`);
  }
}
