// Loading a PKCS#11 module (pkcs11js, native and optional) once per process.
// C_Initialize is process-wide per module: signers share one loaded module,
// counted, and the last one to close finalizes it. CKF_OS_LOCKING_OK lets
// the module serve several sessions from libuv worker threads at once.
import { OrelError } from '@orel/core';
import type * as Pkcs11Js from 'pkcs11js';

export type Pkcs11Lib = Pkcs11Js.PKCS11;
export type Pkcs11Api = typeof Pkcs11Js;

interface Loaded {
  lib: Pkcs11Lib;
  refs: number;
}

const loaded = new Map<string, Loaded>();
let api: Pkcs11Api | undefined;

export async function pkcs11Api(): Promise<Pkcs11Api> {
  if (!api) {
    try {
      const mod = (await import('pkcs11js')) as unknown as Pkcs11Api & { default?: Pkcs11Api };
      api = mod.default ?? mod;
    } catch (e) {
      throw new OrelError('KEY_INVALID', `PKCS#11 signing needs the pkcs11js native module, which failed to load: ${(e as Error).message}`, {
        cause: e,
        hint: 'pkcs11js is an optional dependency of orel: install it where build tools are present (npm install pkcs11js, or npm rebuild pkcs11js)',
      });
    }
  }
  return api;
}

/** Loads and initializes `modulePath`, or shares the instance already loaded. */
export async function acquireModule(modulePath: string): Promise<Pkcs11Lib> {
  const have = loaded.get(modulePath);
  if (have) {
    have.refs++;
    return have.lib;
  }
  const P = await pkcs11Api();
  const lib = new P.PKCS11();
  try {
    lib.load(modulePath);
  } catch (e) {
    throw new OrelError('KEY_INVALID', `cannot load PKCS#11 module ${modulePath}: ${(e as Error).message}`, {
      cause: e,
      hint: 'check the signer\'s module path (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so from the softhsm2 package)',
    });
  }
  try {
    lib.C_Initialize({ flags: P.CKF_OS_LOCKING_OK });
  } catch (e) {
    if ((e as { code?: number }).code !== P.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      lib.close();
      throw new OrelError('KEY_INVALID', `PKCS#11 module ${modulePath} failed to initialize: ${(e as Error).message}`, { cause: e });
    }
  }
  loaded.set(modulePath, { lib, refs: 1 });
  return lib;
}

export function releaseModule(modulePath: string): void {
  const have = loaded.get(modulePath);
  if (!have || --have.refs > 0) return;
  loaded.delete(modulePath);
  try {
    have.lib.C_Finalize();
  } finally {
    have.lib.close();
  }
}
