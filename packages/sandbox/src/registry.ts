// Mock mode's registry (and the tests'): Debian's docker-registry
// (distribution 2.8) on a free loopback port with filesystem storage.
// CI installs the Debian package `docker-registry`; tests call
// registryMissing() and skip with its message when the binary is absent.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnFreePorts } from './daemon.js';

const CANDIDATES = ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry', '/usr/bin/registry'];

/** Path of the registry binary, or undefined when it is not installed. */
export function registryBinary(): string | undefined {
  const env = process.env.OREL_REGISTRY_BIN;
  if (env) return existsSync(env) ? env : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

/** A skip message for node:test when the binary is missing, else false. */
export function registryMissing(): string | false {
  return registryBinary()
    ? false
    : 'docker-registry not installed (apt-get install docker-registry, or set OREL_REGISTRY_BIN); CI installs it';
}

export interface RunningRegistry {
  /** 127.0.0.1:PORT, as used in image references. */
  host: string;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Storage root, for tests that look at what landed on disk. */
  dir: string;
  close(): Promise<void>;
}

function ping(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/v2/`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

function configYaml(port: number, storage: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

/** Starts docker-registry and resolves once `/v2/` answers 200. */
export async function startRegistry(opts: { timeoutMs?: number; dir?: string } = {}): Promise<RunningRegistry> {
  const bin = registryBinary();
  if (!bin) throw new Error(registryMissing() as string);
  // A given dir persists (the sandbox keeps its images); otherwise a temp dir is removed on close.
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'orel-registry-')));
  await mkdir(dir, { recursive: true });
  const configFile = join(dir, 'config.yml');
  try {
    const { daemon, ports } = await startOnFreePorts(1, async ([port]) => {
      await writeFile(configFile, configYaml(port, join(dir, 'storage')));
      return { name: 'docker-registry', bin, args: ['serve', configFile], ready: async () => (await ping(`http://127.0.0.1:${port}`)) === 200, timeoutMs: opts.timeoutMs };
    });
    const port = ports[0];
    const url = `http://127.0.0.1:${port}`;
    const close = async (): Promise<void> => {
      await daemon.close();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    };
    return { host: `127.0.0.1:${port}`, url, dir, close };
  } catch (e) {
    if (!opts.dir) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
