// A private Sigstore on loopback, from the real services built from the Go
// module proxy (pinned in .ci/run): Fulcio (ephemeral CA) trusting a loopback
// OIDC issuer, TesseraCT as its CT log, rekor-tiles (Rekor v2, POSIX storage)
// and the timestamp authority (memory signer). A TUF repository publishes
// the stack's trusted_root.json and signing_config.v0.2.json, as a corporate
// Sigstore (OpenShift's) does. Every port is a free one on 127.0.0.1, except
// one the timestamp authority hard-codes (metrics on :2112, no flag).
import { findGoTool } from '@orel/go-tools';
import { createHash, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTrustedRoot, buildTufRepo, reservePort, serveTufRepo, signingConfig, startOnFreePorts, type DaemonOptions } from '@orel/sandbox';
import { startOidcIssuer } from './oidc-issuer.js';

/** The binaries and how .ci/run installs them (pinned versions, go install from the module proxy). */
export const STACK_BINARIES = {
  fulcio: { bin: 'fulcio', install: 'go install github.com/sigstore/fulcio@v1.8.8' },
  rekor: { bin: 'rekor-server-posix', install: 'GOBIN=$(mktemp -d) go install github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix@v2.3.0, then copy its "posix" to $(go env GOPATH)/bin/rekor-server-posix' },
  tsa: { bin: 'timestamp-server', install: 'go install github.com/sigstore/timestamp-authority/v2/cmd/timestamp-server@v2.1.3' },
  ct: { bin: 'tesseract-posix', install: 'GOBIN=$(mktemp -d) go install github.com/transparency-dev/tesseract/cmd/tesseract/posix@v0.1.1, then copy its "posix" to $(go env GOPATH)/bin/tesseract-posix' },
} as const;
type Service = keyof typeof STACK_BINARIES;

/** A skip message naming what is missing and how to install it, or false when all four are there. */
export function stackMissing(): string | false {
  const missing = (Object.keys(STACK_BINARIES) as Service[]).filter((s) => !findGoTool(STACK_BINARIES[s].bin));
  if (!missing.length) return false;
  return `the private Sigstore stack needs ${missing.map((s) => STACK_BINARIES[s].bin).join(', ')}: ${missing.map((s) => STACK_BINARIES[s].install).join('; ')} (.ci/run installs them)`;
}

export interface PrivateSigstore {
  fulcioUrl: string;
  rekorUrl: string;
  tsaUrl: string;
  oidcIssuer: string;
  /** The identity the issuer's tokens carry (Fulcio puts it in the certificate SAN). */
  identity: string;
  tufUrl: string;
  /** The TUF repository's root.json (what clients are initialised with). */
  tufRootPath: string;
  trustedRootPath: string;
  trustedRoot: Record<string, unknown>;
  signingConfigPath: string;
  signingConfig: Record<string, unknown>;
  /** An ID token from the issuer's token endpoint. */
  mintToken(): Promise<string>;
  close(): Promise<void>;
}

const pem = (k: KeyObject): string => k.export({ format: 'pem', type: 'pkcs8' }).toString();
const derChain = (pems: string[]): Buffer[] => pems.map((p) => Buffer.from(new X509Certificate(p).raw));
const splitPem = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
const answers = async (url: string, ok = (s: number) => s < 500): Promise<boolean> => ok((await fetch(url, { signal: AbortSignal.timeout(1000) })).status);

/**
 * One entry before any client's: a fresh log's entry 0 has index 0 and an
 * empty proof, which protobuf JSON omits and sigstore-python then rejects as
 * a malformed bundle. A real log is never that young.
 */
async function seedLog(rekorUrl: string): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('orel private stack: seed entry');
  const request = {
    hashedRekordRequestV002: {
      digest: createHash('sha256').update(data).digest('base64'),
      signature: {
        content: sign('sha256', data, privateKey).toString('base64'),
        verifier: { publicKey: { rawBytes: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
      },
    },
  };
  const res = await fetch(`${rekorUrl}/api/v2/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`rekor-tiles at ${rekorUrl} refused the seed entry: HTTP ${res.status} ${await res.text()}`);
}

export async function startPrivateSigstore(opts: { identity?: string; dir?: string } = {}): Promise<PrivateSigstore> {
  const missing = stackMissing();
  if (missing) throw new Error(missing);
  const bin = (s: Service) => findGoTool(STACK_BINARIES[s].bin)!;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'orel-sigstore-stack-')));
  await mkdir(dir, { recursive: true });
  const identity = opts.identity ?? 'release@corp.example';
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    if (!opts.dir) await rm(dir, { recursive: true, force: true });
  };
  const daemon = async (count: number, options: (ports: number[]) => DaemonOptions): Promise<number[]> => {
    const started = await startOnFreePorts(count, options);
    closers.push(() => started.daemon.close());
    return started.ports;
  };
  try {
    const oidc = await startOidcIssuer({ email: identity });
    closers.push(() => oidc.close());
    // The validity of every authority starts a minute back: certificates and timestamps are whole seconds.
    const validFrom = new Date(Date.now() - 60_000);

    // Timestamp authority: an in-memory signer and its chain.
    const [tsaPort] = await daemon(1, ([port]) => ({
      name: 'timestamp-authority',
      bin: bin('tsa'),
      args: ['serve', '--host', '127.0.0.1', '--port', String(port), '--timestamp-signer', 'memory', '--disable-ntp-monitoring', '--log-type', 'prod'],
      ready: () => answers(`http://127.0.0.1:${port}/api/v1/timestamp/certchain`, (s) => s === 200),
    }));
    const tsaBase = `http://127.0.0.1:${tsaPort}`;
    const tsaChain = derChain(splitPem(await (await fetch(`${tsaBase}/api/v1/timestamp/certchain`)).text()));

    // Rekor v2: a P-256 log key; its checkpoint origin is the host of its URL (verifiers match the two).
    const rekorKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(dir, 'rekor.key'), pem(rekorKey.privateKey), { mode: 0o600 });
    const [rekorPort] = await daemon(3, ([http, grpc, metrics]) => ({
      name: 'rekor-tiles',
      bin: bin('rekor'),
      args: [
        'serve',
        ...['--http-address', '127.0.0.1', '--http-port', String(http)],
        ...['--grpc-address', '127.0.0.1', '--grpc-port', String(grpc), '--http-metrics-port', String(metrics)],
        ...['--storage-dir', join(dir, 'rekor-tiles'), '--signer-filepath', join(dir, 'rekor.key'), '--hostname', '127.0.0.1'],
        // Entries are answered once a checkpoint covers them: publish often (public Rekor v2: about a second).
        ...['--checkpoint-interval', '500ms', '--log-level', 'warn'],
      ],
      ready: () => answers(`http://127.0.0.1:${http}/healthz`),
    }));
    const rekorUrl = `http://127.0.0.1:${rekorPort}`;
    await seedLog(rekorUrl);

    // Fulcio with an ephemeral CA, trusting the loopback issuer; its CT log's port is chosen now, started next (it needs the CA's root).
    // The CT log's port stays held until TesseraCT starts, so nothing else binds it meanwhile.
    const ct = await reservePort();
    closers.push(() => ct.release());
    const ctUrl = `http://127.0.0.1:${ct.port}`;
    const fulcioConfig = join(dir, 'fulcio-config.json');
    await writeFile(fulcioConfig, JSON.stringify({ OIDCIssuers: { [oidc.url]: { IssuerURL: oidc.url, ClientID: 'sigstore', Type: 'email' } } }));
    const [fulcioPort] = await daemon(3, ([http, grpc, metrics]) => ({
      name: 'Fulcio',
      bin: bin('fulcio'),
      args: [
        'serve',
        ...['--host', '127.0.0.1', '--port', String(http), '--grpc-host', '127.0.0.1', '--grpc-port', String(grpc)],
        ...['--metrics-port', String(metrics), '--legacy-unix-domain-socket', join(dir, `fulcio-legacy-${http}.sock`)],
        ...['--ca', 'ephemeralca', '--ct-log-url', ctUrl, '--config-path', fulcioConfig, '--log_type', 'prod'],
      ],
      ready: () => answers(`http://127.0.0.1:${http}/api/v2/trustBundle`, (s) => s === 200),
    }));
    const fulcioUrl = `http://127.0.0.1:${fulcioPort}`;
    const bundle = (await (await fetch(`${fulcioUrl}/api/v2/trustBundle`)).json()) as { chains: { certificates: string[] }[] };
    const fulcioChain = bundle.chains[0].certificates;
    await writeFile(join(dir, 'fulcio-roots.pem'), fulcioChain.join('\n'));

    // TesseraCT: Fulcio's precertificates get their SCTs here.
    const ctKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(dir, 'ct.key'), ctKey.privateKey.export({ format: 'pem', type: 'sec1' }).toString(), { mode: 0o600 });
    await mkdir(join(dir, 'ct'), { recursive: true });
    await ct.release();
    await daemon(0, () => ({
      name: 'TesseraCT',
      bin: bin('ct'),
      args: [
        ...['--http_endpoint', `127.0.0.1:${ct.port}`, '--origin', 'ct.orel-stack.test', '--private_key', join(dir, 'ct.key')],
        ...['--roots_pem_file', join(dir, 'fulcio-roots.pem'), '--storage_dir', join(dir, 'ct'), '--checkpoint_interval', '500ms'],
      ],
      ready: () => answers(`${ctUrl}/ct/v1/get-roots`, (s) => s === 200),
    }));

    const trustedRoot = buildTrustedRoot({
      validFrom,
      organization: 'orel private stack',
      fulcioUrl,
      fulcioChain: derChain(fulcioChain),
      ctlog: { url: ctUrl, key: ctKey.publicKey },
      tlogs: [{ url: rekorUrl, key: rekorKey.publicKey }],
      tsa: { url: `${tsaBase}/api/v1/timestamp`, chain: tsaChain },
    });
    const config = { ...signingConfig({ fulcioUrl, rekorV2Url: rekorUrl, tsaUrl: `${tsaBase}/api/v1/timestamp` }), oidcUrls: [{ url: oidc.url, majorApiVersion: 1, validFor: { start: validFrom.toISOString() }, operator: 'orel private stack' }] };
    const trustedRootPath = join(dir, 'trusted_root.json');
    const signingConfigPath = join(dir, 'signing_config.v0.2.json');
    const asFile = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n');
    await writeFile(trustedRootPath, asFile(trustedRoot));
    await writeFile(signingConfigPath, asFile(config));
    const tuf = buildTufRepo({ 'trusted_root.json': asFile(trustedRoot), 'signing_config.v0.2.json': asFile(config) });
    const tufRootPath = join(dir, 'tuf-root.json');
    await writeFile(tufRootPath, tuf.rootJson);
    const tufServer = await serveTufRepo(tuf);
    closers.push(() => tufServer.close());

    return {
      fulcioUrl,
      rekorUrl,
      tsaUrl: `${tsaBase}/api/v1/timestamp`,
      oidcIssuer: oidc.url,
      identity,
      tufUrl: tufServer.url,
      tufRootPath,
      trustedRootPath,
      trustedRoot,
      signingConfigPath,
      signingConfig: config,
      mintToken: async () => ((await (await fetch(oidc.tokenUrl, { method: 'POST' })).json()) as { id_token: string }).id_token,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
