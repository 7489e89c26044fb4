// Digest benchmark: orel's digestFiles (sha256 + sha512 in one read) against
// the two-core OpenSSL limit: `openssl dgst -sha256` and `openssl dgst -sha512`
// each timed alone over the same files, (t_sha256 + t_sha512) / 2 being what
// two cores could do with the work perfectly balanced between them. Prints the
// medians of --runs runs and the ratio orel/limit (lower is better; goal ≤ 1.2).
//
//   npx tsx tools/bench/src/digest.ts [--size-mib 1024] [--runs 3] [--shape mixed|single|small] [--files 10000]
//
// mixed (default): 4 large files with 3/4 of the bytes, the rest in many small
// ones; single: one big file (the case where whole-file workers cannot help);
// small: --files files of 1–4 KiB (a release of many small artifacts: the
// cost is per file, not per byte).
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './median.js';

// Benchmark the sources, not a possibly stale dist: re-run under the
// "development" export condition if we were not started with it.
if (!process.execArgv.some((a) => a.includes('conditions'))) {
  const r = spawnSync(process.execPath, ['--conditions=development', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const MiB = 1024 * 1024;

interface Corpus {
  dir: string;
  names: string[];
  bytes: number;
}

/** The files to hash, from one random block with a per-chunk counter so no two chunks are alike. */
function makeCorpus(sizeMiB: number, shape: string, files: number): Corpus {
  const dir = mkdtempSync(join(tmpdir(), 'orel-bench-digest-'));
  const total = Math.max(1, sizeMiB) * MiB;
  const block = randomFillSync(Buffer.allocUnsafe(Math.min(16 * MiB, total)));
  let counter = 0n;
  const sizes: number[] = [];
  if (shape === 'single') sizes.push(total);
  else if (shape === 'small') for (let i = 0; i < files; i++) sizes.push(1024 + ((i * 2654435761) % 3073));
  else {
    const large = Math.floor((total * 3) / 16);
    for (let i = 0; i < 4; i++) sizes.push(large);
    const smallBytes = total - 4 * large;
    const smallCount = Math.max(64, Math.floor(smallBytes / MiB));
    for (let i = 0; i < smallCount; i++) sizes.push(Math.floor(smallBytes / smallCount));
  }
  const names = sizes.map((size, i) => {
    const name = `${size >= 4 * MiB ? 'large' : 'small'}-${String(i).padStart(4, '0')}.bin`;
    const fd = openSync(join(dir, name), 'w');
    for (let off = 0; off < size; off += block.length) {
      block.writeBigUInt64LE(counter++, 0); // no two chunks alike
      writeSync(fd, block, 0, Math.min(block.length, size - off));
    }
    closeSync(fd);
    return name;
  });
  return { dir, names, bytes: sizes.reduce((a, b) => a + b, 0) };
}

/** Reads every file once so that both contenders start from a warm page cache. */
function warm(c: Corpus): void {
  const buf = Buffer.allocUnsafe(MiB);
  for (const n of c.names) {
    const fd = openSync(join(c.dir, n), 'r');
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
  }
}

function openssl(alg: 'sha256' | 'sha512', c: Corpus): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', ['dgst', `-${alg}`, ...c.names], { cwd: c.dir, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new Error(`openssl exited ${code}`))));
  });
}

/** "SHA2-256(name)= hex" (or "SHA256(name)= hex") lines → name → hex. */
function parseOpenssl(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const r = /^\S+\((.+)\)= ([0-9a-f]+)$/.exec(line);
    if (r) m.set(r[1], r[2]);
  }
  return m;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '1024' },
      runs: { type: 'string', default: '5' },
      shape: { type: 'string', default: 'mixed' },
      files: { type: 'string', default: '10000' },
    },
  });
  const sizeMiB = Number(values['size-mib']);
  const runs = Math.max(1, Number(values.runs));
  const files = Number(values.files);
  if (!Number.isFinite(sizeMiB) || sizeMiB <= 0 || !['mixed', 'single', 'small'].includes(values.shape!) || !(files > 0)) {
    throw new Error('usage: digest.ts [--size-mib N>0] [--runs N] [--shape mixed|single|small] [--files N>0]');
  }
  const { digestFiles } = await import('@orel/manifest');

  const c = makeCorpus(sizeMiB, values.shape!, files);
  try {
    warm(c);
    const paths = c.names.map((n) => join(c.dir, n));
    const orelMs: number[] = [];
    const sha256Ms: number[] = [];
    const sha512Ms: number[] = [];
    let digests: Awaited<ReturnType<typeof digestFiles>> = [];
    const reference: [string, string] = ['', ''];
    const timed = async <T>(into: number[], f: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      const v = await f();
      into.push(performance.now() - t);
      return v;
    };
    // Alternate the contenders within each run: the machine is shared, and the median drops outliers.
    for (let r = 0; r < runs; r++) {
      digests = await timed(orelMs, () => digestFiles(paths, 8));
      reference[0] = await timed(sha256Ms, () => openssl('sha256', c));
      reference[1] = await timed(sha512Ms, () => openssl('sha512', c));
    }
    const [ref256, ref512] = reference.map(parseOpenssl);
    const wrong = c.names.filter((n, i) => ref256.get(n) !== digests[i].sha256 || ref512.get(n) !== digests[i].sha512);
    if (wrong.length > 0) throw new Error(`digests differ from openssl for ${wrong.join(', ')}`);

    const mib = c.bytes / MiB;
    const rate = (ms: number): string => `${(mib / (ms / 1000)).toFixed(0)} MiB/s`;
    const [orel, t256, t512] = [orelMs, sha256Ms, sha512Ms].map(median);
    const limit = (t256 + t512) / 2;
    console.log(`files: ${c.names.length} (${mib.toFixed(0)} MiB, ${values.shape}), medians of ${runs} runs`);
    console.log(`orel digestFiles (sha256+sha512, one read): ${(orel / 1000).toFixed(3)} s (${rate(orel)})`);
    console.log(`openssl dgst -sha256 alone: ${(t256 / 1000).toFixed(3)} s; -sha512 alone: ${(t512 / 1000).toFixed(3)} s`);
    console.log(`two-core OpenSSL limit (t_sha256 + t_sha512) / 2: ${(limit / 1000).toFixed(3)} s (${rate(limit)})`);
    console.log(`ratio orel/limit: ${(orel / limit).toFixed(2)} (lower is better, goal ≤ 1.2)`);
  } finally {
    rmSync(c.dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
