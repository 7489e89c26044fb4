// A TUF repository (spec 1.0, one ed25519 key for every role) that serves
// trust material the way Sigstore's CDN does: clients started with its
// root.json (@sigstore/tuf with a mirror and root; cosign: TUF_MIRROR +
// TUF_ROOT_JSON) fetch timestamp, snapshot, targets and then
// `targets/<name>`. The sandbox publishes its trusted root and signing
// configs this way; tests serve fixture trust with no network. Metadata is
// built and signed with @tufjs/models (canonical JSON, as TUF requires).
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { Metadata, MetaFile, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import { send, serveLoopback, type LoopbackServer } from './http.js';

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
  const keyval = { public: raw.toString('hex') };
  const tufKey = { keytype: 'ed25519', scheme: 'ed25519', keyval };
  // The key id is the SHA-256 of the key's canonical JSON.
  const keyID = createHash('sha256').update(canonicalize(tufKey)).digest('hex');
  const common = { version: 1, specVersion: '1.0.31', expires: expires.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const role = { keyids: [keyID], threshold: 1 };
  const signed = <T extends Root | Targets | Snapshot | Timestamp>(s: T): Buffer => {
    const md = new Metadata(s);
    md.sign((bytes) => new Signature({ keyID, sig: sign(null, bytes, privateKey).toString('hex') }));
    return Buffer.from(JSON.stringify(md.toJSON()));
  };
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  const root = signed(
    Root.fromJSON({
      _type: 'root',
      spec_version: common.specVersion,
      version: common.version,
      expires: common.expires,
      consistent_snapshot: false,
      keys: { [keyID]: tufKey },
      roles: { root: role, targets: role, snapshot: role, timestamp: role },
    }),
  );
  const targetsMeta = signed(
    new Targets({ ...common, targets: Object.fromEntries(Object.entries(targets).map(([path, bytes]) => [path, new TargetFile({ path, length: bytes.length, hashes: { sha256: sha256(bytes) } })])) }),
  );
  const snapshot = signed(new Snapshot({ ...common, meta: { 'targets.json': new MetaFile({ version: 1 }) } }));
  const timestamp = signed(new Timestamp({ ...common, snapshotMeta: new MetaFile({ version: 1 }) }));
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
