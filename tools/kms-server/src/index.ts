// A Cloud KMS test server: a real gRPC server speaking the KeyManagementService
// protocol from the protos that ship inside @google-cloud/kms, so the real
// client library talks to it unchanged. It implements what a signer needs
// (GetPublicKey, AsymmetricSign, GetCryptoKeyVersion, GetCryptoKey) with the
// CRC32C integrity fields, plus fault injection: failures with a gRPC status
// for the next N calls, corrupted CRC32C responses, and per-call latency.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { crc32c } from '@aws-crypto/crc32c';
import { generateTestKey, type KmsAlgorithm, type TestKey } from './keys.js';

export type { KmsAlgorithm } from './keys.js';

export type KeyState = 'ENABLED' | 'DISABLED' | 'DESTROYED';
export type KeyPurpose = 'ASYMMETRIC_SIGN' | 'ENCRYPT_DECRYPT';
export type KmsMethod = 'GetPublicKey' | 'AsymmetricSign' | 'GetCryptoKeyVersion' | 'GetCryptoKey';
/** Which integrity field corruptCrc breaks; AsymmetricSign defaults to the signature's. */
export type CorruptField = 'pem' | 'signature' | 'verifiedDigest' | 'name';

export interface AddKeyOptions {
  state?: KeyState;
  purpose?: KeyPurpose;
  /** Make this version the crypto key's primary (GetCryptoKey returns it). */
  primary?: boolean;
}

export interface KmsServer {
  port: number;
  /** 127.0.0.1:PORT */
  endpoint: string;
  /** Adds a key version; `name` is the full .../cryptoKeyVersions/V resource name. */
  addKey(name: string, algorithm: KmsAlgorithm, opts?: AddKeyOptions): { publicKeyPem: string };
  /** The next `times` calls of `method` fail with gRPC status `grpcStatus`. */
  failNext(method: KmsMethod, grpcStatus: grpc.status, times?: number): void;
  /** The next `times` responses of `method` carry a wrong CRC32C (or other integrity field). */
  corruptCrc(method: KmsMethod, times?: number, field?: CorruptField): void;
  /** Calls received per method (failed ones included). */
  calls: Record<string, number>;
  /** Most calls of a method that were in flight at once (observes client-side bounds). */
  peakInFlight: Record<string, number>;
  /** Changes the per-call latency (ms) from now on. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

interface VersionRecord {
  name: string;
  key: TestKey;
  state: KeyState;
  purpose: KeyPurpose;
}

const require = createRequire(import.meta.url);
let kmsPackage: grpc.GrpcObject | undefined;

function loadService(): grpc.ServiceDefinition {
  if (!kmsPackage) {
    // protos.json is the protobufjs bundle of the protos shipped in @google-cloud/kms.
    const json = require('@google-cloud/kms/build/protos/protos.json');
    const def = protoLoader.fromJSON(json, { longs: String, enums: String, defaults: true, oneofs: true });
    kmsPackage = grpc.loadPackageDefinition(def);
  }
  const v1 = (kmsPackage as any).google.cloud.kms.v1;
  return v1.KeyManagementService.service;
}

const VERSION_RE = /^(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions\/[^/]+$/;
const crc = (b: Buffer | string): string => String(crc32c(typeof b === 'string' ? Buffer.from(b) : b));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class GrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

export async function startKmsServer(opts: { latencyMs?: number } = {}): Promise<KmsServer> {
  const versions = new Map<string, VersionRecord>();
  const primaries = new Map<string, string>();
  const failures = new Map<string, { code: grpc.status; times: number }>();
  const corruptions = new Map<string, { field?: CorruptField; times: number }>();
  const calls: Record<string, number> = {};
  let latencyMs = opts.latencyMs ?? 0;
  const peakInFlight: Record<string, number> = {};
  const inFlight: Record<string, number> = {};

  const version = (name: string): VersionRecord => {
    const v = versions.get(name);
    if (!v) throw new GrpcError(grpc.status.NOT_FOUND, `CryptoKeyVersion ${name} not found.`);
    return v;
  };
  const usable = (v: VersionRecord, purposes: KeyPurpose[]): void => {
    if (v.state !== 'ENABLED')
      throw new GrpcError(grpc.status.FAILED_PRECONDITION, `${v.name} is not enabled, current state is: ${v.state}.`);
    if (!purposes.includes(v.purpose))
      throw new GrpcError(grpc.status.FAILED_PRECONDITION, `${v.name} has purpose ${v.purpose}; this operation needs ${purposes.join(' or ')}.`);
  };
  const takeCorruption = (method: string): CorruptField | 'default' | undefined => {
    const c = corruptions.get(method);
    if (!c || c.times <= 0) return undefined;
    c.times--;
    return c.field ?? 'default';
  };
  const versionResource = (v: VersionRecord) => ({
    name: v.name,
    state: v.state,
    algorithm: v.key.algorithm,
    protectionLevel: 'SOFTWARE',
  });

  const handlers: Record<KmsMethod, (req: any) => object> = {
    GetPublicKey(req) {
      const v = version(req.name);
      usable(v, ['ASYMMETRIC_SIGN']);
      const bad = takeCorruption('GetPublicKey');
      const pemCrc = BigInt(crc(v.key.publicKeyPem)) + (bad ? 1n : 0n);
      return { pem: v.key.publicKeyPem, pemCrc32c: { value: String(pemCrc) }, algorithm: v.key.algorithm, name: v.name, protectionLevel: 'SOFTWARE', publicKeyFormat: 'PEM' };
    },
    AsymmetricSign(req) {
      const v = version(req.name);
      usable(v, ['ASYMMETRIC_SIGN']);
      const kind = req.digest?.digest as string | undefined;
      const digest: Buffer | undefined = kind ? req.digest[kind] : undefined;
      if (!digest || kind !== v.key.digest)
        throw new GrpcError(grpc.status.INVALID_ARGUMENT, `${v.name} (${v.key.algorithm}) needs a ${v.key.digest} digest, got ${kind ?? 'none'}.`);
      const sent = req.digestCrc32c?.value;
      if (sent !== undefined && sent !== null && sent !== crc(digest))
        throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'The checksum in field digest_crc32c did not match the data in field digest.');
      const signature = v.key.sign(digest);
      const bad = takeCorruption('AsymmetricSign');
      let sigCrc = BigInt(crc(signature));
      if (bad === 'default' || bad === 'signature') sigCrc ^= 1n;
      return {
        signature,
        signatureCrc32c: { value: String(sigCrc) },
        verifiedDigestCrc32c: sent !== undefined && sent !== null && bad !== 'verifiedDigest',
        name: bad === 'name' ? `${v.name}0` : v.name,
        protectionLevel: 'SOFTWARE',
      };
    },
    GetCryptoKeyVersion(req) {
      return versionResource(version(req.name));
    },
    GetCryptoKey(req) {
      const mine = [...versions.values()].filter((v) => VERSION_RE.exec(v.name)?.[1] === req.name);
      if (mine.length === 0) throw new GrpcError(grpc.status.NOT_FOUND, `CryptoKey ${req.name} not found.`);
      const primary = primaries.get(req.name);
      return {
        name: req.name,
        purpose: mine[0].purpose,
        primary: primary ? versionResource(version(primary)) : null,
        versionTemplate: { algorithm: mine[0].key.algorithm, protectionLevel: 'SOFTWARE' },
      };
    },
  };

  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    impl[method] = async (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
      calls[method] = (calls[method] ?? 0) + 1;
      inFlight[method] = (inFlight[method] ?? 0) + 1;
      peakInFlight[method] = Math.max(peakInFlight[method] ?? 0, inFlight[method]);
      if (latencyMs > 0) await sleep(latencyMs);
      inFlight[method]--;
      const fail = failures.get(method);
      if (fail && fail.times > 0) {
        fail.times--;
        callback({ code: fail.code, details: `injected failure (${grpc.status[fail.code]}) for ${call.request?.name}` });
        return;
      }
      try {
        callback(null, handler(call.request));
      } catch (err) {
        if (err instanceof GrpcError) callback({ code: err.code, details: err.details });
        else callback({ code: grpc.status.INTERNAL, details: String(err) });
      }
    };
  }

  const server = new grpc.Server();
  server.addService(loadService(), impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    calls,
    peakInFlight,
    addKey(name, algorithm, o = {}) {
      const m = VERSION_RE.exec(name);
      if (!m) throw new Error(`addKey: ${name} is not a projects/.../cryptoKeys/K/cryptoKeyVersions/V name`);
      const key = generateTestKey(algorithm);
      versions.set(name, { name, key, state: o.state ?? 'ENABLED', purpose: o.purpose ?? 'ASYMMETRIC_SIGN' });
      if (o.primary) primaries.set(m[1], name);
      return { publicKeyPem: key.publicKeyPem };
    },
    failNext(method, grpcStatus, times = 1) {
      failures.set(method, { code: grpcStatus, times });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    corruptCrc(method, times = 1, field) {
      corruptions.set(method, { field, times });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
