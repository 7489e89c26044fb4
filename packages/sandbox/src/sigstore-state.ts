// The sandbox Sigstore's long-lived material (CA, CT log, Rekor and TSA keys
// plus the CA and TSA certificates), persisted in the sandbox directory so a
// re-run or a later `orel verify` sees the same trust root.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrelError } from '@orel/core';

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export interface SandboxSigstoreState {
  createdAt: string;
  keys: Record<(typeof KEY_NAMES)[number], KeyPair>;
  /** DER certificates issued on first start; absent until then. */
  certs: { fulcioRoot?: Buffer; tsaRoot?: Buffer; tsaSigning?: Buffer };
}

interface StoredState {
  version: 1;
  createdAt: string;
  keys: Record<string, string>;
  certs: Record<string, string>;
}

export const STATE_FILE = 'sigstore-state.json';
const KEY_NAMES = ['fulcio', 'ctlog', 'rekor', 'tsa', 'rekorV2', 'tuf'] as const;

// TUF metadata is signed with ed25519 (as Sigstore's own repository); the services use P-256.
const newPair = (name: string): KeyPair => (name === 'tuf' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));

function pairFromPem(pem: string): KeyPair {
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Loads the state from `dir`, or makes fresh keys when there is none yet. */
export async function loadOrCreateState(dir: string): Promise<{ state: SandboxSigstoreState; fresh: boolean }> {
  const file = join(dir, STATE_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    const keys = Object.fromEntries(KEY_NAMES.map((k) => [k, newPair(k)])) as SandboxSigstoreState['keys'];
    return { state: { createdAt: new Date().toISOString(), keys, certs: {} }, fresh: true };
  }
  try {
    const stored = JSON.parse(text) as StoredState;
    // A key added since the sandbox was made (rekorV2) is made now and saved: fresh.
    const missing = KEY_NAMES.filter((k) => !stored.keys[k]);
    const keys = Object.fromEntries(KEY_NAMES.map((k) => [k, stored.keys[k] ? pairFromPem(stored.keys[k]) : newPair(k)])) as SandboxSigstoreState['keys'];
    const cert = (k: string) => (stored.certs[k] ? Buffer.from(stored.certs[k], 'base64') : undefined);
    return {
      state: { createdAt: stored.createdAt, keys, certs: { fulcioRoot: cert('fulcioRoot'), tsaRoot: cert('tsaRoot'), tsaSigning: cert('tsaSigning') } },
      fresh: missing.length > 0,
    };
  } catch (e) {
    throw new OrelError('INTERNAL', `sandbox Sigstore state ${file} is unreadable: ${(e as Error).message}`, {
      hint: 'delete the sandbox directory to start a fresh sandbox (its old signatures will no longer verify)',
      cause: e,
    });
  }
}

/** Writes the state (private keys: mode 0600) atomically. */
export async function saveState(dir: string, state: SandboxSigstoreState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stored: StoredState = {
    version: 1,
    createdAt: state.createdAt,
    keys: Object.fromEntries(KEY_NAMES.map((k) => [k, state.keys[k].privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()])),
    certs: Object.fromEntries(
      Object.entries(state.certs)
        .filter(([, v]) => v)
        .map(([k, v]) => [k, (v as Buffer).toString('base64')]),
    ),
  };
  const file = join(dir, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}
