// A server binary run for a test or the sandbox: started with its output
// captured, ready once a probe answers, stopped (TERM, then KILL) on close.
// docker-registry uses it, and the private Sigstore stack (Fulcio,
// rekor-tiles, timestamp-authority, TesseraCT) in tools/sigstore-stack.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
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
  /** The port `ready` talks to: an answer counts only while this server holds the port (not another process that bound it first). */
  port?: number;
  timeoutMs?: number;
}

/** A free TCP port on 127.0.0.1 (closed again: the caller's server binds it). */
export async function freePort(): Promise<number> {
  const reserved = await reservePort();
  await reserved.release();
  return reserved.port;
}

/** A port held by a listening socket until released, so no other process's free port or outgoing connection takes it meanwhile. */
export interface ReservedPort {
  port: number;
  /** Closes the holding socket: call just before the server that binds the port starts. */
  release(): Promise<void>;
}

export function reservePort(): Promise<ReservedPort> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      resolve({ port, release: () => new Promise<void>((r) => srv.close(() => r())) });
    });
  });
}

const PORT_TAKEN = /address already in use|EADDRINUSE/i;

/**
 * Starts a server on `count` free ports. A free port is only free until bound:
 * a test process alongside (nx runs projects in parallel) may bind it first,
 * so a start that fails with "address already in use" is retried on new ports.
 */
export async function startOnFreePorts(
  count: number,
  options: (ports: number[]) => DaemonOptions | Promise<DaemonOptions>,
  attempts = 4,
): Promise<{ daemon: Daemon; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    try {
      const opts = await options(ports);
      return { daemon: await startDaemon({ port: count > 0 ? ports[0] : undefined, ...opts }), ports };
    } catch (e) {
      if (attempt >= attempts || !PORT_TAKEN.test((e as Error).message)) throw e;
    }
  }
}

/** Whether process `pid` holds a listening TCP socket on `port` (Linux /proc; elsewhere the probe's answer has to do). */
async function listensOn(pid: number | undefined, port: number): Promise<boolean> {
  if (!existsSync('/proc/net/tcp')) return true;
  if (pid === undefined) return false;
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const line of tables.join('\n').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the socket inode.
    if (f.length > 9 && f[1].endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9]);
  }
  if (inodes.size === 0) return false;
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (m && inodes.has(m[1])) return true;
  }
  return false;
}

function exitsWithin(gone: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([gone.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
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
    if (!(await exitsWithin(gone, 3000))) {
      child.kill('SIGKILL');
      await gone;
    }
  };
  const daemon = { output: () => out.trim(), close };
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (Date.now() < deadline && !exited) {
    // The answer may come from another process that bound the port first while
    // this server is exiting on its bind error: it counts when this one holds the port.
    if ((await opts.ready().catch(() => false)) && (opts.port === undefined ? !(await exitsWithin(gone, 250)) : await listensOn(child.pid, opts.port))) return daemon;
    await new Promise((r) => setTimeout(r, 50));
  }
  await close();
  throw new Error(`${opts.name} (${opts.bin}) ${exited ? 'exited' : 'did not become ready'}: ${daemon.output() || 'no output'}`);
}
