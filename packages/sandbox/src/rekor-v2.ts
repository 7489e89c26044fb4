// The sandbox's Rekor v2 (rekor-tiles' write API): POST /api/v2/log/entries
// takes a CreateEntryRequest and answers with the TransparencyLogEntry a
// bundle carries: a hashedrekord or dsse 0.0.2 body, an inclusion proof and a
// signed checkpoint, and no integrated time (as v2: time comes from a TSA).
// Its own key, origin and tree; leaves persist in rekor-v2-log.jsonl so a
// later run continues the same log.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash, type KeyObject } from 'node:crypto';
import { HashAlgorithm, TransparencyLogEntry } from '@sigstore/protobuf-specs';
import { CreateEntryRequest, Entry } from '@sigstore/protobuf-specs/rekor/v2';
import { MerkleTree, signCheckpoint } from './merkle-log.js';
import { stableJson } from './rekor-store.js';

export const REKOR_V2_LOG_FILE = 'rekor-v2-log.jsonl';
/** Stable origin (checkpoint name) of the sandbox's Rekor v2; trusted_root.json lists the log under this URL. */
export const SANDBOX_LOG_V2_ORIGIN = 'rekor-v2.orel-sandbox.invalid';

const sha256 = (b: Buffer | Uint8Array): Buffer => createHash('sha256').update(b).digest();

/** The log entry body Rekor v2 records for a request (as rekor-tiles builds it). */
export function entryFor(request: CreateEntryRequest): Entry {
  const spec = request.spec;
  if (spec?.$case === 'hashedRekordRequestV002') {
    const r = spec.hashedRekordRequestV002;
    return {
      kind: 'hashedrekord',
      apiVersion: '0.0.2',
      spec: { spec: { $case: 'hashedRekordV002', hashedRekordV002: { data: { algorithm: HashAlgorithm.SHA2_256, digest: r.digest }, signature: r.signature } } },
    };
  }
  if (spec?.$case === 'dsseRequestV002') {
    const { envelope, verifiers } = spec.dsseRequestV002;
    if (!envelope || verifiers.length === 0) throw new Error('dsse request without an envelope or verifiers');
    return {
      kind: 'dsse',
      apiVersion: '0.0.2',
      spec: {
        spec: {
          $case: 'dsseV002',
          dsseV002: {
            payloadHash: { algorithm: HashAlgorithm.SHA2_256, digest: sha256(envelope.payload) },
            signatures: envelope.signatures.map((s) => ({ content: s.sig, verifier: verifiers[0] })),
          },
        },
      },
    };
  }
  throw new Error('unsupported entry: expected hashedRekordRequestV002 or dsseRequestV002');
}

export class RekorV2Log {
  private readonly tree = new MerkleTree();
  private readonly logID: Buffer;

  constructor(
    private readonly key: { privateKey: KeyObject; publicKeyDer: Buffer },
    private readonly file: string,
  ) {
    this.logID = sha256(key.publicKeyDer);
    // Seeded, as the v1 log: no entry at index 0, which protobuf JSON would omit.
    this.tree.append(Buffer.from('orel sandbox log v2'));
  }

  get size(): number {
    return this.tree.size;
  }

  /** Re-reads the persisted leaves (a torn last line, from a kill mid-append, is skipped). */
  async replay(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const line of text.split('\n')) if (/^[A-Za-z0-9+/]+=*$/.test(line)) this.tree.append(Buffer.from(line, 'base64'));
  }

  /** Appends the entry for a request body (JSON) and returns its TransparencyLogEntry JSON; throws on a malformed request. */
  append(requestJson: unknown): unknown {
    const body = Buffer.from(stableJson(Entry.toJSON(entryFor(CreateEntryRequest.fromJSON(requestJson)))));
    const logIndex = this.tree.append(body);
    // Persisted before the answer: an entry a client was told about is never lost.
    appendFileSync(this.file, body.toString('base64') + '\n');
    const treeSize = this.tree.size;
    const rootHash = this.tree.root();
    const kind = JSON.parse(body.toString('utf8')) as { kind: string; apiVersion: string };
    return TransparencyLogEntry.toJSON({
      logIndex: String(logIndex),
      logId: { keyId: this.logID },
      kindVersion: { kind: kind.kind, version: kind.apiVersion },
      integratedTime: '0',
      inclusionPromise: undefined,
      inclusionProof: {
        logIndex: String(logIndex),
        treeSize: String(treeSize),
        rootHash,
        hashes: this.tree.path(logIndex),
        checkpoint: { envelope: signCheckpoint({ privateKey: this.key.privateKey, host: SANDBOX_LOG_V2_ORIGIN }, this.logID, SANDBOX_LOG_V2_ORIGIN, treeSize, rootHash) },
      },
      canonicalizedBody: body,
    });
  }
}
