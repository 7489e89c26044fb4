// A server binary run for a test or the sandbox: started with its output
// captured, ready once a probe answers, stopped (TERM, then KILL) on close.
// docker-registry uses it, and the private Sigstore stack (Fulcio,
// rekor-tiles, timestamp-authority, TesseraCT) in tools/sigstore-stack.
import { spawn } from 'node:child_process';
import net from 'node:net';

export interface Daemon {
  /** The last 4 KB of its stdout and stderr, for error messages. */
  output(): string;
  close(): Promise<void>;
}

export interface DaemonOptions {
  /** For messages ("Fulcio"). */
  name: string;
  bin: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves true once the server answers. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

/** A free TCP port on 127.0.0.1 (closed again: the caller's server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const child = spawn(opts.bin, opts.args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-4096);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const gone = new Promise<void>((r) => child.once('close', () => r()));
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', (e) => {
    exited = true;
    out += `\n${e.message}`;
  });
  const close = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    if (!(await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]))) {
      child.kill('SIGKILL');
      await gone;
    }
  };
  const daemon = { output: () => out.trim(), close };
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (Date.now() < deadline && !exited) {
    if (await opts.ready().catch(() => false)) return daemon;
    await new Promise((r) => setTimeout(r, 50));
  }
  await close();
  throw new Error(`${opts.name} (${opts.bin}) ${exited ? 'exited' : 'did not become ready'}: ${daemon.output() || 'no output'}`);
}
