// Shared e2e helpers: a private copy of the quickstart per test, the orel CLI
// run as a child process from sources, and small independent file checks.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const QUICKSTART = join(REPO, 'examples/quickstart');
const RUNNER = fileURLToPath(new URL('./run-orel.mjs', import.meta.url));
// Absolute, so the child resolves tsx whatever its working directory is.
const TSX = import.meta.resolve('tsx');

export interface OrelRun {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json(): any;
}

/** Runs `orel ARGS` in `cwd`; never throws on a non-zero exit. */
export function orel(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<OrelRun> {
  const env: Record<string, string | undefined> = { ...process.env, METADATA_SERVER_DETECTION: 'none', CI: '1', ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=development', '--import', TSX, RUNNER, ...args],
      { cwd: opts.cwd, env: env as NodeJS.ProcessEnv, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({
          status,
          stdout,
          stderr,
          json() {
            try {
              return JSON.parse(stdout);
            } catch {
              throw new Error(`orel ${args.join(' ')}: stdout is not JSON:\n${stdout}\nstderr:\n${stderr}`);
            }
          },
        });
      },
    );
  });
}

export interface Workspace {
  dir: string;
  plan: string;
  sandbox: string;
  /** Writes a plan variant next to the quickstart's and returns its path. */
  variant(name: string, edit: (yaml: string) => string): string;
}

/**
 * A private copy of a quickstart plan (as release.yaml) and its dist/ in a
 * temp dir, removed after the test. Default: the key-signed variant
 * (release-key.yaml); `release.yaml` is the keyless one.
 */
export function workspace(t: { after: (fn: () => void) => void }, from = 'release-key.yaml'): Workspace {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-e2e-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(QUICKSTART, from), join(dir, 'release.yaml'));
  cpSync(join(QUICKSTART, 'dist'), join(dir, 'dist'), { recursive: true });
  // The key-signed plan names keys/cosign.key: a mock-mode rehearsal checks that it exists and parses.
  cpSync(join(QUICKSTART, 'keys'), join(dir, 'keys'), { recursive: true });
  const plan = join(dir, 'release.yaml');
  return {
    dir,
    plan,
    sandbox: join(dir, 'sandbox'),
    variant(name, edit) {
      const original = readFileSync(plan, 'utf8');
      const changed = edit(original);
      if (changed === original) throw new Error(`plan variant ${name}: the edit changed nothing`);
      const p = join(dir, name);
      writeFileSync(p, changed);
      return p;
    },
  };
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface FileState {
  ino: number;
  mtimeMs: number;
  size: number;
  sha256: string;
}

/** Every file under dir (relative path → inode, mtime, size, digest). */
export function snapshot(dir: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.set(relative(dir, p), { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size, sha256: sha256File(p) });
      }
    }
  };
  walk(dir);
  return out;
}

/** The lines of stderr that carry errors (progress lines left out), for assertion messages. */
export function errorLines(stderr: string): string {
  // The error block: its first line, indented problem/detail lines, the hint.
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('error'));
  return start < 0 ? '' : lines.slice(start).filter((l) => /^(error|hint| {2})/.test(l)).join('\n');
}

/** Lines in the run's journal (the one journal under stateRoot), 0 before it exists. */
export function journalLines(stateRoot: string): number {
  if (!existsSync(stateRoot)) return 0;
  let n = 0;
  for (const f of readdirSync(stateRoot, { recursive: true }) as string[]) {
    if (f.endsWith('journal.jsonl')) n += readFileSync(join(stateRoot, f), 'utf8').split('\n').length - 1;
  }
  return n;
}

/** Runs `orel ARGS` until it has written `atLines` journal records, then kill -9; true if it was killed. */
export async function killAt(args: string[], cwd: string, env: Record<string, string>, stateRoot: string, atLines: number): Promise<boolean> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', TSX, RUNNER, ...args], {
    cwd,
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', ...env },
    stdio: 'ignore',
  });
  let exited = false;
  const done = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  while (!exited && journalLines(stateRoot) < atLines) await new Promise((r) => setTimeout(r, 2));
  if (exited) return false;
  child.kill('SIGKILL');
  await done;
  return true;
}

/** The key-signed quickstart plan with its signer a key a corporate CA certified (pki/release.key, `certificate`, pki/chain.pem), and .cert outputs. */
export function certifiedSignerPlan(yaml: string, certificate = 'pki/release.pem'): string {
  const out = yaml
    .replace('    key: keys/cosign.key\n    password: ${env:COSIGN_PASSWORD}\n', `    key: pki/release.key\n    certificate: ${certificate}\n    certificateChain: pki/chain.pem\n`)
    .replace('outputs: [bundle, sig]', 'outputs: [bundle, sig, cert]');
  if (!out.includes('certificateChain: pki/chain.pem') || !out.includes('outputs: [bundle, sig, cert]')) throw new Error('the plan has no key signer to certify');
  return out;
}
