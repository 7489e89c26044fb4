// PKCS#11 (HSM) signer: the key stays in the token; orel sends digests to
// CKM_ECDSA and turns the raw r||s into DER. One session per signature in
// flight (a session runs one operation at a time), all logged in together.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { OrelError, pLimit, registerSecret, type HashAlgorithm, type KeyMaterial, type SignatureResult, type Signer } from '@orel/core';
import { publicKeyHint } from './keys.js';
import { curveOfEcParams, ecPointToPem, rawEcdsaToDer, type EcCurve } from './pkcs11-key.js';
import { acquireModule, pkcs11Api, releaseModule, type Pkcs11Api, type Pkcs11Lib } from './pkcs11-module.js';
import { parsePkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';

export interface Pkcs11SignerSpec {
  /** RFC 7512 URI: pkcs11:token=...;object=...[;id=%01][?pin-source=file:...] */
  uri: string;
  /** Path of the PKCS#11 module (.so). */
  module: string;
  /** User PIN (wins over pin-value / pin-source in the URI). */
  pin?: string;
}

type Handle = Buffer;

export async function createPkcs11Signer(spec: Pkcs11SignerSpec, opts: { concurrency?: number } = {}): Promise<Signer> {
  registerSecret(spec.pin);
  const uri = parsePkcs11Uri(spec.uri);
  registerSecret(uri.pinValue);
  const ref = spec.uri.split('?')[0];
  const P = await pkcs11Api();
  const lib = await acquireModule(spec.module);
  const sessions: Handle[] = [];
  try {
    const slot = findToken(P, lib, uri, ref, spec.module);
    const n = Math.max(1, opts.concurrency ?? 4);
    for (let i = 0; i < n; i++) sessions.push(lib.C_OpenSession(slot, P.CKF_SERIAL_SESSION));
    const pin = spec.pin ?? uri.pinValue ?? (uri.pinSource ? await readPin(uri.pinSource, ref) : undefined);
    registerSecret(pin);
    login(P, lib, sessions[0], pin, ref, lib.C_GetTokenInfo(slot).flags);
    const key = findKey(P, lib, sessions[0], uri, ref);
    return new Pkcs11Signer(P, lib, spec.module, sessions, key, ref);
  } catch (e) {
    for (const s of sessions) lib.C_CloseSession(s);
    releaseModule(spec.module);
    if (e instanceof OrelError) throw e;
    throw new OrelError('KEY_INVALID', `PKCS#11 key ${ref}: ${(e as Error).message}`, { cause: e });
  }
}

async function readPin(file: string, ref: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (e) {
    throw new OrelError('KEY_INVALID', `PKCS#11 key ${ref}: cannot read pin-source ${file}: ${(e as NodeJS.ErrnoException).code}`, { cause: e });
  }
}

function findToken(P: Pkcs11Api, lib: Pkcs11Lib, uri: Pkcs11Uri, ref: string, module: string): Handle {
  const tokens = lib.C_GetSlotList(true).map((slot) => ({ slot, info: lib.C_GetTokenInfo(slot) }));
  const initialized = tokens.filter((t) => t.info.flags & P.CKF_TOKEN_INITIALIZED);
  const matching = initialized.filter(({ slot, info }) => {
    const eq = (want: string | undefined, have: string): boolean => want === undefined || want === have.trim();
    const slotOk = uri.slotId === undefined || (slot.length >= 8 && slot.readBigUInt64LE(0) === BigInt(uri.slotId));
    return slotOk && eq(uri.token, info.label) && eq(uri.manufacturer, info.manufacturerID) && eq(uri.model, info.model) && eq(uri.serial, info.serialNumber);
  });
  const labels = initialized.map((t) => `"${t.info.label.trim()}"`).join(', ') || 'none';
  if (matching.length === 0) {
    throw new OrelError('KEY_INVALID', `no PKCS#11 token matches ${ref} in module ${module} (initialized tokens: ${labels})`, {
      hint: 'set token=LABEL in the URI to one of the labels above',
    });
  }
  if (matching.length > 1) {
    throw new OrelError('KEY_INVALID', `${ref} matches ${matching.length} tokens in module ${module} (${labels})`, { hint: 'add token=LABEL to the URI' });
  }
  return matching[0].slot;
}

function login(P: Pkcs11Api, lib: Pkcs11Lib, session: Handle, pin: string | undefined, ref: string, tokenFlags: number): void {
  if (pin === undefined) {
    if (tokenFlags & P.CKF_LOGIN_REQUIRED) {
      throw new OrelError('KEY_INVALID', `PKCS#11 token of ${ref} needs a PIN`, { hint: 'set the signer\'s pin: ${env:NAME} in the plan, or pin-source=file:... in the URI' });
    }
    return;
  }
  try {
    lib.C_Login(session, P.CKU_USER, pin);
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === P.CKR_USER_ALREADY_LOGGED_IN) return;
    if (code === P.CKR_PIN_INCORRECT || code === P.CKR_PIN_LEN_RANGE) {
      throw new OrelError('KEY_INVALID', `wrong PIN for PKCS#11 token of ${ref}`, { cause: e, hint: 'check the PIN; repeated failures lock the token' });
    }
    if (code === P.CKR_PIN_LOCKED) throw new OrelError('KEY_INVALID', `PKCS#11 token of ${ref} is locked (too many wrong PINs)`, { cause: e });
    throw e;
  }
}

interface TokenKey {
  handle: Handle;
  curve: EcCurve;
  pem: string;
}

function findObjects(lib: Pkcs11Lib, session: Handle, template: { type: number; value?: number | boolean | string | Buffer }[]): Handle[] {
  lib.C_FindObjectsInit(session, template);
  try {
    return lib.C_FindObjects(session, 16);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

function findKey(P: Pkcs11Api, lib: Pkcs11Lib, session: Handle, uri: Pkcs11Uri, ref: string): TokenKey {
  const selectors = [
    ...(uri.object !== undefined ? [{ type: P.CKA_LABEL, value: uri.object }] : []),
    ...(uri.id !== undefined ? [{ type: P.CKA_ID, value: uri.id }] : []),
  ];
  const keys = findObjects(lib, session, [{ type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY }, ...selectors]);
  if (keys.length !== 1) {
    throw new OrelError('KEY_INVALID', keys.length ? `${ref} matches ${keys.length} private keys` : `no private key matches ${ref} (is the PIN right, and the label/id?)`, {
      hint: keys.length ? 'add id=%XX to the URI to pick one' : 'list keys with pkcs11-tool --list-objects --login, then fix object= / id= in the URI',
    });
  }
  const [type, id, params] = lib.C_GetAttributeValue(session, keys[0], [{ type: P.CKA_KEY_TYPE }, { type: P.CKA_ID }, { type: P.CKA_EC_PARAMS }]);
  if (type.value.readUIntLE(0, type.value.length > 6 ? 6 : type.value.length) !== P.CKK_EC) {
    throw new OrelError('KEY_INVALID', `PKCS#11 key ${ref} is not an EC key`, { hint: 'orel signs with ECDSA P-256 (or P-384) HSM keys' });
  }
  const curve = curveOfEcParams(params.value, ref);
  return { handle: keys[0], curve, pem: publicKeyOf(P, lib, session, id.value, curve, ref) };
}

/** The public half: a public-key object with the same CKA_ID, else a certificate with it. */
function publicKeyOf(P: Pkcs11Api, lib: Pkcs11Lib, session: Handle, id: Buffer, curve: EcCurve, ref: string): string {
  const [pub] = findObjects(lib, session, [{ type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY }, { type: P.CKA_ID, value: id }]);
  if (pub) {
    const [point] = lib.C_GetAttributeValue(session, pub, [{ type: P.CKA_EC_POINT }]);
    return ecPointToPem(point.value, curve, ref);
  }
  const [cert] = findObjects(lib, session, [{ type: P.CKA_CLASS, value: P.CKO_CERTIFICATE }, { type: P.CKA_ID, value: id }]);
  if (cert) {
    const [der] = lib.C_GetAttributeValue(session, cert, [{ type: P.CKA_VALUE }]);
    return new X509Certificate(der.value).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
  throw new OrelError('KEY_INVALID', `PKCS#11 key ${ref}: no public key or certificate object with the same CKA_ID on the token`, {
    hint: 'import the public key (or a certificate) with the private key\'s id',
  });
}

class Pkcs11Signer implements Signer {
  readonly hashAlgorithm: HashAlgorithm;
  private readonly material: KeyMaterial;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly free: Handle[];
  private closed = false;

  constructor(
    private readonly P: Pkcs11Api,
    private readonly lib: Pkcs11Lib,
    private readonly module: string,
    private readonly sessions: Handle[],
    private readonly key: TokenKey,
    readonly ref: string,
  ) {
    this.hashAlgorithm = key.curve.hash;
    this.material = { $case: 'publicKey', publicKey: key.pem, hint: publicKeyHint(key.pem) };
    this.limit = pLimit(sessions.length);
    this.free = [...sessions];
  }

  async signDigest(digest: Buffer, algorithm: HashAlgorithm): Promise<SignatureResult> {
    const want = this.key.curve.size === 32 ? 32 : 48;
    if (algorithm !== this.hashAlgorithm || digest.length !== want) {
      throw new OrelError('SIGN_FAILED', `${this.ref} signs ${this.hashAlgorithm} digests; got a ${digest.length}-byte ${algorithm} digest`);
    }
    return this.limit(async () => {
      if (this.closed) throw new OrelError('SIGN_FAILED', `${this.ref}: signer is closed`);
      const session = this.free.pop()!;
      try {
        this.lib.C_SignInit(session, { mechanism: this.P.CKM_ECDSA }, this.key.handle);
        const raw = await this.lib.C_SignAsync(session, digest, Buffer.alloc(2 * this.key.curve.size));
        return { signature: rawEcdsaToDer(raw, this.key.curve), key: this.material };
      } catch (e) {
        if (e instanceof OrelError) throw e;
        throw new OrelError('SIGN_FAILED', `PKCS#11 signing with ${this.ref} failed: ${(e as Error).message}`, { cause: e });
      } finally {
        this.free.push(session);
      }
    });
  }

  async sign(data: Buffer): Promise<SignatureResult> {
    return this.signDigest(createHash(this.hashAlgorithm).update(data).digest(), this.hashAlgorithm);
  }

  async publicKeyPem(): Promise<string> {
    return this.key.pem;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Waits for signatures in flight: each holds a session until it returns.
    while (this.limit.activeCount > 0 || this.limit.pendingCount > 0) await new Promise((r) => setTimeout(r, 5));
    for (const s of this.sessions) this.lib.C_CloseSession(s);
    releaseModule(this.module);
  }
}
