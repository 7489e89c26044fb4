// Ports: what the pipeline needs from the outside world. Adapters (key file,
// Cloud KMS, PKCS#11, keyless; filesystem, GCS, GitHub, OCI) implement them;
// the composition root (cli) picks adapters, so steps never ask "am I mocked?".
import type { Readable } from 'node:stream';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** Public half of a signature's key, in @sigstore/sign's shape (PEM strings). */
export type KeyMaterial =
  /** chain: the issuing CAs' PEMs (intermediates, then the root) of a certificate from an existing PKI; keyless Fulcio certificates carry none. */
  | { $case: 'x509Certificate'; certificate: string; chain?: string[] }
  | { $case: 'publicKey'; publicKey: string; hint?: string };

export interface SignatureResult {
  /** DER ECDSA (or RSA PKCS#1/PSS) signature bytes. */
  signature: Buffer;
  key: KeyMaterial;
}

export interface Signer {
  /** Human-readable reference for reports and errors; never contains a secret. */
  readonly ref: string;
  /** Digest the signer's key expects for message signatures (P-256: sha256, P-384: sha384). */
  readonly hashAlgorithm: HashAlgorithm;
  /** Signs a message given its digest (blobs: hashed once while streaming, never re-read). */
  signDigest(digest: Buffer, algorithm: HashAlgorithm): Promise<SignatureResult>;
  /** Signs small in-memory bytes (DSSE PAE, cosign simple-signing payloads). */
  sign(data: Buffer): Promise<SignatureResult>;
  /** Keyless, or a CA-certified key: the signing certificate (PEM; keyless: requested on first use), checked against the policy before anything is signed. */
  certificatePem?(): Promise<string>;
  /** A CA-certified key: the issuing CAs' PEMs, intermediates first, root last (published as ca-chain.pem). */
  readonly certificateChain?: readonly string[];
  /** PEM public key, for key-based signers (published as cosign.pub). Keyless signers omit it. */
  publicKeyPem?(): Promise<string>;
  close?(): Promise<void>;
}

export type PutSource = { path: string } | { data: Buffer };

export interface PutRequest {
  /** Object key / relative path inside the target (already rendered from the layout). */
  key: string;
  source: PutSource;
  size: number;
  /** Hex SHA-256 of the bytes: the identity used for "same bytes = already done". */
  sha256: string;
  contentType?: string;
  cacheControl?: string;
  /** Artifact name, for messages. */
  artifact?: string;
  /** Only for version markers (stable.txt...): replace whatever is there. */
  overwrite?: boolean;
}

export interface PutResult {
  status: 'created' | 'exists' | 'replaced';
  /** Where it is now: a filesystem path for file targets, a URL otherwise. */
  location: string;
}

export interface ObjectInfo {
  size: number;
  sha256?: string;
  md5?: string;
  crc32c?: string;
  generation?: string;
}

export interface Publisher {
  /** Target name from the plan. */
  readonly name: string;
  /** Root of the target (file:///abs, gs://bucket/prefix, github://owner/repo@tag...). */
  readonly url: string;
  /**
   * Writes an object unless it exists. Same bytes already there: 'exists'.
   * Different bytes: throws OrelError('PUBLISH_CONFLICT') and changes nothing.
   */
  put(req: PutRequest): Promise<PutResult>;
  /** Reads a published object back, as an end user would fetch it. */
  read(key: string): Promise<Readable>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  location(key: string): string;
  /** sha256 of an object's bytes, computed by reading them (targets without a trusted server-side digest). */
  digest?(key: string): Promise<string | undefined>;
  /** Checks, before anything is written to any target, what can be known up front (e.g. a foreign GitHub release for the tag). */
  preflight?(): Promise<void>;
  /** Leftovers of unfinished writes inside the target (temp files); verification fails while any remain. */
  strays?(): Promise<string[]>;
}

/** Optional capability: server-side copy from another publisher of the same kind. */
export interface Promoter {
  /** Whether promoteFrom can copy from this source inside the store (same kind of publisher). */
  promotesFrom(source: Publisher): boolean;
  promoteFrom(source: Publisher, fromKey: string, toKey: string, expect: { sha256: string; size: number }): Promise<PutResult>;
}

/** Optional capability: work to do once everything is published and verified (publish a draft). */
export interface Finalizer {
  finalize(): Promise<void>;
}

/** Whether `dest` can copy from `source` itself; otherwise the caller streams the bytes through put. */
export const canPromote = (dest: Publisher, source: Publisher): dest is Publisher & Promoter =>
  typeof (dest as any).promoteFrom === 'function' && (dest as any).promotesFrom(source) === true;
export const canFinalize = (p: Publisher): p is Publisher & Finalizer => typeof (p as any).finalize === 'function';

/** Progress and log sink. Human (TTY/plain) and JSON reporters implement it. */
export interface Reporter {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
  stepStart(stage: string, step: string): void;
  stepEnd(stage: string, step: string, result: StepOutcome): void;
  /** Item-level progress inside a step (e.g. 37 of 200 signed). */
  progress(step: string, done: number, total: number): void;
}

export type StepOutcome =
  | { status: 'done'; ms: number; note?: string }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; ms: number; error: unknown };
