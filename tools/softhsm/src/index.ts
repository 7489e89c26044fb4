// A SoftHSM2 token in a temp dir with an EC P-256 key pair, for tests of the
// PKCS#11 signer. softhsm2-util initializes the token; the key is generated
// inside the token through pkcs11js (C_GenerateKeyPair), never exported.
// SOFTHSM2_CONF is process-wide (SoftHSM reads it at C_Initialize), so this
// sets it for the process and cleanup() restores the previous value; pass
// `conf` as SOFTHSM2_CONF to child processes (the orel CLI in e2e tests).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Pkcs11Js from 'pkcs11js';

export interface SoftHsmToken {
  /** Path of the softhsm2.conf (set it as SOFTHSM2_CONF). */
  conf: string;
  /** Path of libsofthsm2.so. */
  module: string;
  /** pkcs11:token=...;object=...;id=%01 */
  uri: string;
  pin: string;
  /** PEM SPKI of the generated key, built here independently of the signer. */
  publicKeyPem: string;
  cleanup(): Promise<void>;
}

const MODULE_CANDIDATES = [
  process.env.SOFTHSM2_MODULE,
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

/** The SoftHSM2 module, if installed (Debian package softhsm2). */
export function findSoftHsmModule(): string | undefined {
  return MODULE_CANDIDATES.find((p): p is string => !!p && existsSync(p));
}

/** Why SoftHSM tests cannot run here, or undefined when they can. */
export function softHsmMissing(): string | undefined {
  if (!findSoftHsmModule()) return 'SoftHSM2 is not installed (apt-get install softhsm2); CI installs it';
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'softhsm2-util is not on PATH (apt-get install softhsm2)';
  }
  return undefined;
}

const LABEL = 'orel-test';
const OBJECT = 'orel-signing-key';
const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');
// SPKI DER prefix for an EC P-256 key (algorithm id + BIT STRING header), followed by the 65-byte point.
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

export async function createSoftHsmToken(opts: { pin?: string } = {}): Promise<SoftHsmToken> {
  const module = findSoftHsmModule();
  if (!module) throw new Error('SoftHSM2 is not installed (Debian package softhsm2)');
  const pin = opts.pin ?? '123456';
  const dir = mkdtempSync(join(tmpdir(), 'orel-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--so-pin', '12345678', '--pin', pin], {
    stdio: 'pipe',
    env: { ...process.env, SOFTHSM2_CONF: conf },
  });
  const publicKeyPem = generateKey(module, pin);
  return {
    conf,
    module,
    uri: `pkcs11:token=${LABEL};object=${OBJECT};id=%01`,
    pin,
    publicKeyPem,
    async cleanup() {
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function generateKey(module: string, pin: string): string {
  const P = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Js;
  const lib = new P.PKCS11();
  lib.load(module);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === LABEL);
    if (!slot) throw new Error(`SoftHSM token ${LABEL} not found after init`);
    const session = lib.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
    lib.C_Login(session, P.CKU_USER, pin);
    const common = [
      { type: P.CKA_TOKEN, value: true },
      { type: P.CKA_LABEL, value: OBJECT },
      { type: P.CKA_ID, value: Buffer.from([1]) },
    ];
    const keys = lib.C_GenerateKeyPair(
      session,
      { mechanism: P.CKM_EC_KEY_PAIR_GEN },
      [...common, { type: P.CKA_EC_PARAMS, value: P256_OID }, { type: P.CKA_VERIFY, value: true }],
      [...common, { type: P.CKA_PRIVATE, value: true }, { type: P.CKA_SENSITIVE, value: true }, { type: P.CKA_EXTRACTABLE, value: false }, { type: P.CKA_SIGN, value: true }],
    );
    const [point] = lib.C_GetAttributeValue(session, keys.publicKey, [{ type: P.CKA_EC_POINT }]);
    // SoftHSM wraps the point in a DER OCTET STRING (04 41 04 X Y).
    const raw = point.value.length === 67 ? point.value.subarray(2) : point.value;
    lib.C_Logout(session);
    lib.C_CloseSession(session);
    const der = Buffer.concat([P256_SPKI_PREFIX, raw]);
    return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PUBLIC KEY-----\n`;
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}
