// A TUF repository (spec 1.0, one ed25519 key for every role) that serves
// trust material the way Sigstore's CDN does: clients started with its
// root.json (cosign: TUF_MIRROR + TUF_ROOT_JSON) fetch timestamp, snapshot,
// targets and then `targets/trusted_root.json`. Lets tests run commands that
// name no trusted root (the public-good path) against fixture trust, with no
// network. Metadata is signed over OLPC canonical JSON, as TUF requires.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { send, serveLoopback, type LoopbackServer } from './http.js';
// Rekor's canonical form is TUF's too for this metadata: sorted keys, no whitespace, ASCII strings.
import { stableJson } from './rekor-store.js';

export interface TufRepo {
  /** root.json version 1: what a client is initialised with. */
  rootJson: Buffer;
  /** Every file the repository serves, by path. */
  files: Map<string, Buffer>;
}

/** Builds a repository whose targets are `targets` (name → bytes), signed with `key` (ed25519; default a new one), its metadata valid until `expires`. */
export function buildTufRepo(targets: Record<string, Buffer>, expires = new Date(Date.now() + 365 * 86_400_000), key?: { publicKey: KeyObject; privateKey: KeyObject }): TufRepo {
  const { publicKey, privateKey } = key ?? generateKeyPairSync('ed25519');
  const raw = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32);
  const tufKey = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  const keyid = createHash('sha256').update(stableJson(tufKey)).digest('hex');
  const common = { spec_version: '1.0.31', version: 1, expires: expires.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const envelope = (signed: Record<string, unknown>, k: KeyObject = privateKey): Buffer =>
    Buffer.from(JSON.stringify({ signed, signatures: [{ keyid, sig: sign(null, Buffer.from(stableJson(signed)), k).toString('hex') }] }));
  const role = { keyids: [keyid], threshold: 1 };

  const root = envelope({ _type: 'root', ...common, consistent_snapshot: false, keys: { [keyid]: tufKey }, roles: { root: role, targets: role, snapshot: role, timestamp: role } });
  const targetsMeta = envelope({
    _type: 'targets',
    ...common,
    targets: Object.fromEntries(Object.entries(targets).map(([name, bytes]) => [name, { length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } }])),
  });
  const snapshot = envelope({ _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1 } } });
  const timestamp = envelope({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1 } } });
  const files = new Map<string, Buffer>([
    ['root.json', root],
    ['1.root.json', root],
    ['targets.json', targetsMeta],
    ['snapshot.json', snapshot],
    ['timestamp.json', timestamp],
    ...Object.entries(targets).map(([name, bytes]) => [`targets/${name}`, bytes] as [string, Buffer]),
  ]);
  return { rootJson: root, files };
}

/** Serves a repository on loopback until `close()`. */
export async function serveTufRepo(repo: TufRepo): Promise<LoopbackServer> {
  return serveLoopback((req, res) => {
    const file = repo.files.get(decodeURIComponent((req.url ?? '/').split('?')[0].replace(/^\/+/, '')));
    if (!file) return send(res, 404, 'text/plain', 'not found');
    send(res, 200, 'application/octet-stream', file);
  });
}
