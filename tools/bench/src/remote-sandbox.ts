// The sandbox Sigstore in a process of its own, as the real services are:
// its request handling (the mock's signing, the log's Merkle tree) must not
// share the benchmarked client's event loop. The child prints its URLs as one
// JSON line and answers "stats" lines on stdin; "close" ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mintSandboxToken, startSandboxSigstore } from '@orel/sandbox';

export interface RemoteSandbox {
  fulcioUrl: string;
  rekorUrl: string;
  trustedRootPath: string;
  trustedRoot: Record<string, unknown>;
  mintToken(): string;
  stats(): Promise<{ fulcio: number; rekor: number; rekorEntries: number }>;
  close(): Promise<void>;
}

interface Started {
  fulcioUrl: string;
  rekorUrl: string;
  trustedRootPath: string;
  trustedRoot: Record<string, unknown>;
}

export async function startRemoteSandbox(o: { dir: string; identity: string; issuer: string; latencyMs: number }): Promise<RemoteSandbox> {
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', JSON.stringify(o)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the sandbox process ended');
    return JSON.parse(value as string);
  };
  const started = (await next()) as Started;
  return {
    ...started,
    mintToken: () => mintSandboxToken(o.identity, o.issuer),
    async stats() {
      child.stdin!.write('stats\n');
      return (await next()) as { fulcio: number; rekor: number; rekorEntries: number };
    },
    async close() {
      child.stdin!.end('close\n');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function serve(o: { dir: string; identity: string; issuer: string; latencyMs: number }): Promise<void> {
  const sb = await startSandboxSigstore(o);
  const { fulcioUrl, rekorUrl, trustedRootPath, trustedRoot } = sb;
  process.stdout.write(JSON.stringify({ fulcioUrl, rekorUrl, trustedRootPath, trustedRoot }) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stats') process.stdout.write(JSON.stringify(sb.stats()) + '\n');
    if (line === 'close') break;
  }
  await sb.close();
}

if (process.argv[2] === '--serve') await serve(JSON.parse(process.argv[3]));
