// A local Sigstore for mock mode and tests: Fulcio, Rekor (v1 and v2 APIs) and a TSA
// from @sigstore/mock, served over real loopback HTTP so the real clients run
// unchanged. Keys persist in `dir`, and `dir/trusted_root.json` lets any
// Sigstore verifier check the sandbox's bundles. The log persists there too
// (rekor-log.jsonl), so a later `orel verify` finds a .sig + .cert pair's
// entry by the artifact's hash, as cosign finds it in the real Rekor.
import { writeFile } from 'node:fs/promises';
import { MerkleTree, appendEntry } from './merkle-log.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, rekorHandler, tsaHandler } from '@sigstore/mock';
import { registerSecret, sleep } from '@orel/core';
import { FaultState, type Faults, type SigstoreService } from './faults.js';
import { entryKey, RekorIndex, toStoredEntry } from './rekor-store.js';
import { persistEntry, readLog, REKOR_LOG_FILE, replayLog } from './rekor-log.js';
import { readBody, send, serveLoopback } from './http.js';
import { REKOR_V2_LOG_FILE, RekorV2Log, SANDBOX_LOG_V2_ORIGIN } from './rekor-v2.js';
import { TimestampQueries } from './timestamp-query.js';
import { loadOrCreateState, saveState } from './sigstore-state.js';
import { mintSandboxToken, type TokenClaims } from './token.js';
import { buildTrustedRoot } from './trusted-root.js';
import { signingConfig } from './signing-config.js';
import { buildTufRepo } from './tuf-repo.js';

export type { FaultPlan, Faults } from './faults.js';

export interface SandboxSigstoreOptions {
  /** Directory holding the sandbox's keys and trusted_root.json (created if missing). */
  dir: string;
  /** Identity (SAN) minted tokens carry. */
  identity: string;
  /** OIDC issuer minted tokens carry. */
  issuer: string;
  /** Added to every request (benchmarks: a real service is ~50 ms away). */
  latencyMs?: number;
  faults?: Faults;
}

export interface SandboxSigstore {
  fulcioUrl: string;
  rekorUrl: string;
  /** The same service's Rekor v2 API (rekor-tiles' POST /api/v2/log/entries). */
  rekorV2Url: string;
  tsaUrl: string;
  trustedRootPath: string;
  trustedRoot: Record<string, unknown>;
  /** A TUF repository serving trusted_root.json and signing_config.v0.2.json (as Sigstore's CDN), and its root.json. */
  tufUrl: string;
  tufRootPath: string;
  /** signing_config.v0.2.json naming these services (Fulcio, Rekor v1, the TSA), as Sigstore's default. */
  signingConfig: Record<string, unknown>;
  /** signing_config_rekor_v2.v0.2.json: the same plus the Rekor v2 API, as Sigstore's opt-in superset. */
  signingConfigRekorV2: Record<string, unknown>;
  /** An identity token for the sandbox's Fulcio (registered as a secret). */
  mintToken(claims?: TokenClaims): string;
  setFaults(f: Faults): void;
  /** Requests that reached each service's handler (faulted ones excluded), log size, and reads of the log (searches, entries). */
  stats(): { fulcio: number; rekor: number; tsa: number; rekorEntries: number; rekorV2Entries: number; rekorReads: number };
  close(): Promise<void>;
}

export const TRUSTED_ROOT_FILE = 'trusted_root.json';
export const SIGNING_CONFIG_FILE = 'signing_config.v0.2.json';
export const SIGNING_CONFIG_REKOR_V2_FILE = 'signing_config_rekor_v2.v0.2.json';
/** The sandbox TUF repository's root.json (what a client is initialised with). */
export const TUF_ROOT_FILE = 'tuf-root.json';
const TUF_PREFIX = '/tuf/';
/** Stable name of the sandbox's Rekor in checkpoints and trusted_root.json (not where it listens). */
export const SANDBOX_LOG_ORIGIN = 'https://rekor.orel-sandbox.invalid';
const ROUTES: Record<SigstoreService, string> = { fulcio: '/fulcio', rekor: '/rekor', tsa: '/tsa' };
const AT_ROOT: [RegExp, string][] = [
  [/^\/api\/v2\/signingCert$/, ROUTES.fulcio],
  [/^\/api\/v1\/(log|index)\//, ROUTES.rekor],
  [/^\/api\/v2\/log\/entries$/, ROUTES.rekor],
  [/^\/api\/v1\/timestamp$/, ROUTES.tsa],
];

type HandlerFn = (body: string) => Promise<{ statusCode: number; response: string | ArrayBufferView; contentType?: string }>;

export async function startSandboxSigstore(opts: SandboxSigstoreOptions): Promise<SandboxSigstore> {
  const faults = new FaultState(opts.faults);
  const counts = { fulcio: 0, rekor: 0, tsa: 0 };
  let rekorReads = 0;
  const index = new RekorIndex();
  const logFile = join(opts.dir, REKOR_LOG_FILE);
  const tsaQuery = new TimestampQueries();
  const handlers: Partial<Record<SigstoreService, HandlerFn>> = {};
  let v2Log: RekorV2Log | undefined;
  let tufFiles: Map<string, Buffer> | undefined;

  const server = await serveLoopback(
    (req, res) => void route(req, res).catch((err) => send(res, 500, 'text/plain', String((err as Error)?.message ?? err))),
    // As long as the real services keep a connection: a shorter hint than undici's
    // threshold (1 s) makes every client request open a new connection.
    { keepAliveMs: 65_000 },
  );
  const base = server.url;
  const urls = { fulcio: base + ROUTES.fulcio, rekor: base + ROUTES.rekor, tsa: `${base}${ROUTES.tsa}/api/v1/timestamp` };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const asked = (req.url ?? '/').split('?')[0];
    if (asked.startsWith(TUF_PREFIX)) {
      const file = tufFiles?.get(decodeURIComponent(asked.slice(TUF_PREFIX.length)));
      return file ? send(res, 200, 'application/octet-stream', file) : send(res, 404, 'text/plain', 'not found');
    }
    // cosign and sigstore-python call each API at the host root, whatever path the service URL has.
    const path = `${AT_ROOT.find(([re]) => re.test(asked))?.[1] ?? ''}${asked}`;
    const service = (Object.keys(ROUTES) as SigstoreService[]).find((s) => path.startsWith(ROUTES[s] + '/'));
    const raw = await readBody(req);
    // RFC 3161 clients (cosign, sigstore-python) send a DER TimeStampReq; the mock reads JSON.
    const body = req.headers['content-type'] === 'application/timestamp-query' ? tsaQuery.toJson(raw) : raw.toString('utf8');
    if (opts.latencyMs) await sleep(opts.latencyMs);
    if (!service) return send(res, 404, 'text/plain', 'not found');
    const fault = faults.next(service);
    if (fault.kind === 'reset') return void req.socket.destroy();
    if (fault.kind === 'status') {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      return send(res, fault.status, 'application/json', JSON.stringify({ code: fault.status, message: `sandbox ${service}: injected fault` }), headers);
    }
    const subpath = path.slice(ROUTES[service].length);
    const read = service === 'rekor' ? readLog(index, req.method, subpath, body) : undefined;
    if (read) {
      rekorReads++;
      return send(res, read.status, 'application/json', read.body);
    }
    if (service === 'rekor' && req.method === 'POST' && subpath === '/api/v2/log/entries' && v2Log) {
      counts.rekor++;
      return rekorV2Post(v2Log, body, res);
    }
    const handler = handlers[service];
    if (req.method !== 'POST' || !handler || subpath !== expectedPath[service]) return send(res, 404, 'text/plain', 'not found');
    counts[service]++;
    if (service === 'rekor') return rekorPost(body, handler, res);
    if (service === 'fulcio') {
      // The real Fulcio answers 200 (sigstore-go accepts nothing else); the mock, 201.
      const out = await handler(normalizeFulcioRequest(body, req.headers.authorization));
      return send(res, out.statusCode === 201 ? 200 : out.statusCode, out.contentType ?? 'application/json', out.response);
    }
    const out = await handler(body);
    return send(res, out.statusCode, out.contentType ?? 'text/plain', out.response);
  }

  // Rekor: store dsse entries in their stored form, and answer a second
  // upload of the same entry as real Rekor does (409 + Location).
  async function rekorPost(body: string, handler: HandlerFn, res: ServerResponse): Promise<void> {
    let stored: unknown;
    try {
      stored = toStoredEntry(JSON.parse(body));
    } catch {
      return send(res, 400, 'application/json', '{"code":400,"message":"invalid JSON"}');
    }
    const key = entryKey(stored);
    const existing = index.uuidFor(key);
    if (existing) {
      return send(res, 409, 'application/json', JSON.stringify({ code: 409, message: `an equivalent entry already exists in the transparency log with UUID ${existing}` }), {
        location: `${ROUTES.rekor}/api/v1/log/entries/${existing}`,
      });
    }
    const out = await handler(JSON.stringify(stored));
    if (out.statusCode === 201) {
      const entry = JSON.parse(String(out.response)) as Record<string, unknown>;
      index.add(key, entry);
      // Persisted before the answer: an entry a client was told about is never lost.
      persistEntry(logFile, key, entry);
      // As the real Rekor: the new entry's uuid as ETag and its URL (sigstore-go reads the entry by its ETag).
      const [uuid] = Object.keys(entry);
      return send(res, 201, 'application/json', out.response, { etag: uuid, location: `${ROUTES.rekor}/api/v1/log/entries/${uuid}` });
    }
    return send(res, out.statusCode, out.contentType ?? 'application/json', out.response);
  }

  function rekorV2Post(log: RekorV2Log, body: string, res: ServerResponse): void {
    let entry: unknown;
    try {
      entry = log.append(JSON.parse(body));
    } catch (e) {
      return send(res, 400, 'application/json', JSON.stringify({ code: 400, message: `invalid CreateEntryRequest: ${(e as Error).message}` }));
    }
    send(res, 201, 'application/json', JSON.stringify(entry));
  }

  const expectedPath: Record<SigstoreService, string> = { fulcio: '/api/v2/signingCert', rekor: '/api/v1/log/entries', tsa: '/api/v1/timestamp' };

  try {
    const { state, fresh } = await loadOrCreateState(opts.dir);
    const ctlog = await initializeCTLog(state.keys.ctlog);
    const ca = (await initializeCA(state.keys.fulcio, ctlog)) as any;
    // The log's checkpoint origin must appear in the trusted root's baseUrl; the
    // port changes every start, so the log carries a stable logical name.
    const tlog = await initializeTLog(SANDBOX_LOG_ORIGIN, state.keys.rekor);
    // One real Merkle tree for the log (seeded: no entry at index 0), not the mock's one-leaf tree per entry.
    const tree = new MerkleTree();
    tree.append(Buffer.from('orel sandbox log'));
    await replayLog(logFile, index, tree);
    const logKeys = { privateKey: state.keys.rekor.privateKey, publicKeyDer: state.keys.rekor.publicKey.export({ format: 'der', type: 'spki' }), host: (tlog as unknown as { host: string }).host };
    (tlog as unknown as { log: (p: unknown) => Promise<unknown> }).log = async (proposed) => appendEntry(tree, logKeys, proposed);
    v2Log = new RekorV2Log({ privateKey: state.keys.rekorV2.privateKey, publicKeyDer: state.keys.rekorV2.publicKey.export({ format: 'der', type: 'spki' }) }, join(opts.dir, REKOR_V2_LOG_FILE));
    await v2Log.replay();
    const tsa = (await initializeTSA(state.keys.tsa)) as any;
    // The mock makes new root certificates on every start; put back the persisted ones (same keys, same names).
    if (state.certs.fulcioRoot) ca.root = new ca.root.constructor(state.certs.fulcioRoot);
    if (state.certs.tsaRoot && state.certs.tsaSigning) {
      tsa.rootCert = tsa.rootCert.constructor.fromBER(state.certs.tsaRoot);
      tsa.intCert = tsa.intCert.constructor.fromBER(state.certs.tsaSigning);
    }
    // Mock flaw: genTime with a fractional second sometimes loses its zeros and the
    // timestamp no longer verifies; whole seconds encode without a fraction.
    tsa.getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000);
    tsaQuery.patchNonces(tsa);
    state.certs = { fulcioRoot: Buffer.from(ca.rootCertificate), tsaRoot: Buffer.from(tsa.rootCertificate), tsaSigning: Buffer.from(tsa.intCertificate) };
    if (fresh) await saveState(opts.dir, state);

    handlers.fulcio = fulcioHandler(ca).fn as HandlerFn;
    handlers.rekor = rekorHandler(tlog).fn as HandlerFn;
    handlers.tsa = tsaHandler(tsa).fn as HandlerFn;

    // Authorities are valid from a minute before creation: log and certificate
    // times are whole seconds, and must not fall before the start.
    const trustedRoot = buildTrustedRoot({
      validFrom: new Date(Math.floor(Date.parse(state.createdAt) / 60_000) * 60_000 - 60_000),
      fulcioUrl: urls.fulcio,
      fulcioChain: [state.certs.fulcioRoot!],
      // The mock's CT log id is the SHA-256 of its SPKI, as every log's here.
      ctlog: { url: `${urls.fulcio}/ct`, key: state.keys.ctlog.publicKey },
      tlogs: [
        { url: SANDBOX_LOG_ORIGIN, key: state.keys.rekor.publicKey },
        { url: `https://${SANDBOX_LOG_V2_ORIGIN}`, key: state.keys.rekorV2.publicKey },
      ],
      tsa: { url: urls.tsa, chain: [state.certs.tsaSigning!, state.certs.tsaRoot!] },
    });
    const trustedRootPath = join(opts.dir, TRUSTED_ROOT_FILE);
    const trustedRootBytes = Buffer.from(JSON.stringify(trustedRoot, null, 2) + '\n');
    await writeFile(trustedRootPath, trustedRootBytes);
    const services = { fulcioUrl: urls.fulcio, rekorUrl: urls.rekor, tsaUrl: urls.tsa };
    const config = signingConfig(services);
    const configV2 = signingConfig({ ...services, rekorV2Url: urls.rekor });
    const asTarget = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n');
    const tuf = buildTufRepo(
      { [TRUSTED_ROOT_FILE]: trustedRootBytes, [SIGNING_CONFIG_FILE]: asTarget(config), [SIGNING_CONFIG_REKOR_V2_FILE]: asTarget(configV2) },
      undefined,
      state.keys.tuf,
    );
    tufFiles = tuf.files;
    const tufRootPath = join(opts.dir, TUF_ROOT_FILE);
    await writeFile(tufRootPath, tuf.rootJson);

    return {
      fulcioUrl: urls.fulcio,
      rekorUrl: urls.rekor,
      rekorV2Url: urls.rekor,
      tsaUrl: urls.tsa,
      trustedRootPath,
      trustedRoot,
      signingConfig: config,
      signingConfigRekorV2: configV2,
      tufUrl: base + TUF_PREFIX.slice(0, -1),
      tufRootPath,
      mintToken(claims?: TokenClaims): string {
        const token = mintSandboxToken(opts.identity, opts.issuer, claims);
        registerSecret(token);
        return token;
      },
      setFaults: (f) => faults.set(f),
      stats: () => ({ ...counts, rekorEntries: index.size, rekorV2Entries: (v2Log?.size ?? 1) - 1, rekorReads }),
      close: () => server.close(),
    };
  } catch (e) {
    await server.close();
    throw e;
  }
}

/**
 * Requests as the real Fulcio takes them, rewritten into the form the mock
 * reads: the identity token as a bearer token (sigstore-go, sigstore-python)
 * goes into the body, and a CSR sent as base64 of its PEM (the proto's bytes
 * field, as sigstore-python sends it) is decoded to the PEM.
 */
function normalizeFulcioRequest(body: string, authorization: string | undefined): string {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  try {
    const request = JSON.parse(body) as { credentials?: { oidcIdentityToken?: string }; certificateSigningRequest?: string };
    if (token && !request.credentials?.oidcIdentityToken) request.credentials = { oidcIdentityToken: token };
    const csr = request.certificateSigningRequest;
    if (csr && !csr.includes('-----BEGIN')) {
      const decoded = Buffer.from(csr, 'base64').toString('utf8');
      if (decoded.includes('-----BEGIN CERTIFICATE REQUEST-----')) request.certificateSigningRequest = decoded;
    }
    return JSON.stringify(request);
  } catch {
    return body;
  }
}
