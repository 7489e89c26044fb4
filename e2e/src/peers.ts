// The real peers users verify with (cosign, sigstore-python), found on PATH or
// in Go's bin directory. `.ci/run` installs them pinned; a test that needs a
// missing one skips, saying how to install it.
import { findGoTool } from '@orel/go-tools';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Peer {
  path: string;
  version: string;
}

const INSTALL: Record<string, string> = {
  cosign: 'go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.2',
  sigstore: "pip install 'sigstore==4.*'",
};

/** The peer and its version, or a skip message naming the install command. */
export function peer(name: 'cosign' | 'sigstore'): Peer | string {
  const path = findGoTool(name);
  if (!path) return `${name} is not installed (${INSTALL[name]}); .ci/run installs it`;
  const out = execFileSync(path, name === 'cosign' ? ['version'] : ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const version = /GitVersion:\s*(\S+)/.exec(out)?.[1] ?? out.trim();
  return { path, version };
}

/**
 * Runs a peer (or any tool) asynchronously, so a sandbox served from this
 * process keeps answering it; no Sigstore TUF cache or update is used.
 */
export function runPeer(path: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    execFile(path, args, { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 << 20, env: { ...process.env, SIGSTORE_NO_CACHE: '1', TUF_ROOT: join(cwd, '.tuf-unused'), ...env } }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

const pem = (b64: string, type: string) => `-----BEGIN ${type}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${type}-----\n`;

/** cosign's legacy trust (its .sig + .cert path takes no --trusted-root): the sandbox's Fulcio root, CT log key and Rekor key as files, named by its environment variables. */
export function cosignLegacyEnv(dir: string, trustedRootFile: string): Record<string, string> {
  const root = JSON.parse(readFileSync(trustedRootFile, 'utf8'));
  const files = { SIGSTORE_ROOT_FILE: join(dir, 'fulcio.pem'), SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(dir, 'ctlog.pub'), SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'rekor.pub') };
  writeFileSync(files.SIGSTORE_ROOT_FILE, root.certificateAuthorities[0].certChain.certificates.map((c: { rawBytes: string }) => pem(c.rawBytes, 'CERTIFICATE')).join(''));
  writeFileSync(files.SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, pem(root.ctlogs[0].publicKey.rawBytes, 'PUBLIC KEY'));
  writeFileSync(files.SIGSTORE_REKOR_PUBLIC_KEY, pem(root.tlogs[0].publicKey.rawBytes, 'PUBLIC KEY'));
  return files;
}

/** Where the sandbox's Rekor API lives for clients that call it at the host root (cosign's --rekor-url). */
export const rootOf = (rekorUrl: string): string => rekorUrl.replace(/\/rekor$/, '');
