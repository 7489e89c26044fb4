// ECDSA over a precomputed digest. Node's crypto always hashes the message
// itself for EC keys, so a blob hashed once while streaming could not be
// signed without reading it again; @noble/curves signs the digest directly
// (prehash: false) and yields the same DER signature as sign('sha256', blob).
// Its pure-JS scalar multiplication costs the better part of a millisecond,
// which in a release of thousands would hold up the thread that drives every
// upload; so it runs on a worker thread of its own (kept alive only while
// signatures are pending: it never holds the process open).
import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { p256 } from '@noble/curves/nist.js';
import { OrelError, type HashAlgorithm } from '@orel/core';

const DIGEST_BYTES: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };
// RFC 6979 nonces hedged with extra entropy; low-S, which every verifier accepts.
const SIGN_OPTIONS = { prehash: false, format: 'der', extraEntropy: true, lowS: true } as const;

// Plain CommonJS run with eval (no worker file to locate from src or dist); noble is
// loaded from the URL this module resolves, so both threads use the same copy.
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.noble).then(({ p256 }) => {
  const secret = workerData.secret;
  const opts = ${JSON.stringify(SIGN_OPTIONS)};
  parentPort.on('message', ({ id, digest }) => {
    try {
      parentPort.postMessage({ id, signature: p256.sign(digest, secret, opts) });
    } catch (err) {
      parentPort.postMessage({ id, error: String(err && err.message) });
    }
  });
  parentPort.postMessage({ ready: true });
});
`;

interface Pending {
  resolve: (sig: Buffer) => void;
  reject: (e: unknown) => void;
}

/** Signs digests with one P-256 private key; the scalar is exported once. */
export class EcdsaDigestSigner {
  private readonly secret: Uint8Array;
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(privateKey: KeyObject, private readonly opts: { worker?: boolean } = {}) {
    const jwk = privateKey.export({ format: 'jwk' });
    if (jwk.crv !== 'P-256' || !jwk.d) throw new OrelError('KEY_INVALID', `digest signing needs a P-256 private key, got ${jwk.crv ?? jwk.kty}`);
    this.secret = Buffer.from(jwk.d, 'base64url');
  }

  /** DER ECDSA signature over `digest`, which must be the `algorithm` hash of the message. */
  async sign(digest: Uint8Array, algorithm: HashAlgorithm): Promise<Buffer> {
    if (digest.length !== DIGEST_BYTES[algorithm]) {
      throw new OrelError('SIGN_FAILED', `a ${algorithm} digest has ${DIGEST_BYTES[algorithm]} bytes, got ${digest.length}`);
    }
    if (this.opts.worker === false) return Buffer.from(p256.sign(digest, this.secret, SIGN_OPTIONS));
    const worker = this.startWorker();
    const id = this.nextId++;
    const signature = new Promise<Buffer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) worker.ref();
    worker.postMessage({ id, digest });
    return signature;
  }

  private startWorker(): Worker {
    if (this.worker) return this.worker;
    // execArgv: [] keeps the worker plain node (no tsx loader), so it starts fast.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { noble: import.meta.resolve('@noble/curves/nist.js'), secret: this.secret } });
    worker.unref();
    worker.on('message', (m: { id?: number; signature?: Uint8Array; error?: string }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error !== undefined) p?.reject(new OrelError('SIGN_FAILED', `ECDSA signing failed: ${m.error}`));
      else p?.resolve(Buffer.from(m.signature!));
    });
    const fail = (e: unknown): void => {
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new OrelError('SIGN_FAILED', `the signing thread stopped: ${(e as Error)?.message ?? e}`, { cause: e }));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Stops the signing thread (pending signatures fail). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
