// Publish benchmark: stages one big file (default 2 GiB) to the GCS test
// server through orel's GCS publisher, and compares with a plain stream copy
// of the same file to the same server (one resumable session, one streamed
// PUT, no hashing) measured in the same run. Each side runs in its own child
// process so its peak RSS is its own; the publisher's must stay under 200 MB.
//
//   npx tsx tools/bench/src/publish.ts [--size-mib 2048] [--threshold-mib 8]
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MiB = 1024 * 1024;
const RSS_LIMIT_MB = 200;
const self = fileURLToPath(import.meta.url);

interface ChildResult {
  ms: number;
  maxRssMB: number;
}

/** A sparse file with a random MiB every 64 MiB: fast to make, not all zeros. */
function makeFile(dir: string, size: number): string {
  const path = join(dir, 'artifact.bin');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  const block = Buffer.allocUnsafe(Math.min(MiB, size));
  for (let off = 0; off < size; off += 64 * MiB) writeSync(fd, randomFillSync(block), 0, Math.min(block.length, size - off), off);
  closeSync(fd);
  return path;
}

async function sha256File(path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Child: orel's publisher puts the file (resumable, hashed while streaming). */
async function childPublisher(a: { file: string; endpoint: string; size: number; sha256: string; threshold: number }): Promise<void> {
  const { createGcsPublisher } = await import('@orel/publish');
  const p = createGcsPublisher({ name: 'bench', url: 'gs://bench/orel', endpoint: a.endpoint }, { resumableThreshold: a.threshold });
  const t0 = performance.now();
  const r = await p.put({ key: 'artifact.bin', source: { path: a.file }, size: a.size, sha256: a.sha256 });
  if (r.status !== 'created') throw new Error(`unexpected ${r.status}`);
  report(t0);
}

/** Child: the baseline, a bare resumable session and one streamed PUT (node streams, no hashing). */
async function childBaseline(a: { file: string; endpoint: string; size: number }): Promise<void> {
  const { request } = await import('node:http');
  const { pipeline } = await import('node:stream/promises');
  const t0 = performance.now();
  const init = await fetch(`${a.endpoint}/upload/storage/v1/b/bench/o?uploadType=resumable&name=baseline/artifact.bin`, { method: 'POST', headers: { 'X-Upload-Content-Length': String(a.size) } });
  const uri = init.headers.get('location');
  if (!uri) throw new Error(`no session: ${init.status}`);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(uri, { method: 'PUT', headers: { 'Content-Range': `bytes 0-${a.size - 1}/${a.size}`, 'Content-Length': a.size } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    pipeline(createReadStream(a.file, { highWaterMark: MiB }), req).catch(reject);
  });
  if (status !== 200) throw new Error(`baseline PUT: ${status}`);
  report(t0);
}

function report(t0: number): void {
  const out: ChildResult = { ms: performance.now() - t0, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(out) + '\n');
}


export async function runPublishBench(o: { sizeBytes: number; thresholdBytes: number }): Promise<{ publisher: ChildResult; baseline: ChildResult; ok: boolean; text: string }> {
  const { startGcsServer } = await import('@orel/gcs-server');
  const dir = mkdtempSync(join(tmpdir(), 'orel-bench-publish-'));
  const srv = await startGcsServer({ buckets: ['bench'] });
  try {
    const file = makeFile(dir, o.sizeBytes);
    const sha256 = await sha256File(file);
    const common = ['--file', file, '--endpoint', srv.url, '--size', String(o.sizeBytes)];
    // spawnSync blocks this process, which also serves the uploads: run children async.
    const baseline = await runChildAsync(['--child', 'baseline', ...common]);
    const publisher = await runChildAsync(['--child', 'publisher', ...common, '--sha256', sha256, '--threshold', String(o.thresholdBytes)]);
    const mbps = (r: ChildResult) => o.sizeBytes / MiB / (r.ms / 1000);
    const ok = publisher.maxRssMB < RSS_LIMIT_MB;
    const text = [
      `file: ${(o.sizeBytes / MiB).toFixed(0)} MiB`,
      `baseline stream copy: ${(baseline.ms / 1000).toFixed(2)} s, ${mbps(baseline).toFixed(1)} MiB/s, peak RSS ${baseline.maxRssMB.toFixed(0)} MB`,
      `orel publisher:       ${(publisher.ms / 1000).toFixed(2)} s, ${mbps(publisher).toFixed(1)} MiB/s, peak RSS ${publisher.maxRssMB.toFixed(0)} MB`,
      `throughput orel/baseline: ${(mbps(publisher) / mbps(baseline)).toFixed(2)} (the publisher also computes sha256, md5 and crc32c)`,
      `peak RSS ${publisher.maxRssMB.toFixed(0)} MB ${ok ? '<' : '>='} ${RSS_LIMIT_MB} MB: ${ok ? 'ok' : 'FAIL'}`,
    ].join('\n');
    return { publisher, baseline, ok, text };
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runChildAsync(args: string[]): Promise<ChildResult> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', self, ...args], {
      env: { METADATA_SERVER_DETECTION: 'none', ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.stderr.on('data', (d: Buffer) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child ${args[1]} failed (${code}): ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      file: { type: 'string' },
      endpoint: { type: 'string' },
      size: { type: 'string' },
      sha256: { type: 'string' },
      threshold: { type: 'string' },
      'size-mib': { type: 'string', default: '2048' },
      'threshold-mib': { type: 'string', default: '8' },
    },
  });
  if (values.child === 'publisher') {
    return childPublisher({ file: values.file!, endpoint: values.endpoint!, size: Number(values.size), sha256: values.sha256!, threshold: Number(values.threshold) });
  }
  if (values.child === 'baseline') return childBaseline({ file: values.file!, endpoint: values.endpoint!, size: Number(values.size) });
  const r = await runPublishBench({ sizeBytes: Number(values['size-mib']) * MiB, thresholdBytes: Number(values['threshold-mib']) * MiB });
  console.log(r.text);
  if (!r.ok) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Benchmark the sources, not a possibly stale dist.
  if (!process.execArgv.some((a) => a.includes('conditions'))) {
    const r = spawnSync(process.execPath, ['--conditions=development', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
