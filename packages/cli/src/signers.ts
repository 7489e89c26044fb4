// Signers for the plan's signer: the real adapter (--nomock), or the
// sandbox key / sandbox Sigstore (mock mode), with what verification trusts.
import { OrelError, type Signer } from '@orel/core';
import { resolveSecret, type ResolvedPlan, type SignerSpec } from '@orel/plan';
import type { Trust } from '@orel/release';
import { checkPrivateKeyFile, createKeyFileSigner, createKmsSigner, createPkcs11Signer, generateKeyPair } from '@orel/sign';
import type { Witness } from '@sigstore/sign';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { realKeylessSetup, sandboxKeylessSetup, type CliToken } from './keyless-setup.js';

/** Resources to release when the session ends (sandbox servers, HSM sessions). */
export type Closer = () => Promise<void>;

export interface SignerSetup {
  signer: Signer;
  witnesses: Witness[];
  trust: Trust;
  /** What the run signs with (keyless: the services and where they were chosen from), for the log. */
  note?: string;
  close?: Closer;
}

async function keyTrust(signer: Signer, rp: ResolvedPlan): Promise<Trust> {
  const keyFile = rp.plan.verification?.key;
  const publicKeyPem = keyFile ? await readFile(resolve(rp.dir, keyFile), 'utf8') : await signer.publicKeyPem?.();
  return { publicKeyPem };
}

export async function realSigner(name: string, spec: SignerSpec, rp: ResolvedPlan, token: CliToken = {}): Promise<SignerSetup> {
  const where = `signers.${name}`;
  switch (spec.type) {
    case 'key': {
      const password = resolveSecret(rp, spec.password, `${where}.password`);
      const signer = await createKeyFileSigner({ key: spec.key, password }, { baseDir: rp.dir });
      return { signer, witnesses: [], trust: await keyTrust(signer, rp) };
    }
    case 'kms': {
      // endpoint + insecure: a private or loopback test endpoint (plaintext only for loopback).
      const signer = await createKmsSigner({ key: spec.key, endpoint: spec.endpoint, insecure: spec.insecure }, { concurrency: rp.plan.signing?.concurrency });
      return { signer, witnesses: [], trust: await keyTrust(signer, rp) };
    }
    case 'pkcs11': {
      const pin = resolveSecret(rp, spec.pin, `${where}.pin`);
      // A bare library name is left to the dynamic loader's search path.
      const module = spec.module.includes('/') ? resolve(rp.dir, spec.module) : spec.module;
      const signer = await createPkcs11Signer({ uri: spec.uri, module, pin }, { concurrency: rp.plan.signing?.concurrency });
      return { signer, witnesses: [], trust: await keyTrust(signer, rp) };
    }
    case 'keyless':
      return realKeylessSetup(name, spec, rp, undefined, token);
    // nomock signers: more types are added here.
    default:
      throw new OrelError('PLAN_INVALID', `${rp.file}: ${where}: signer type "${(spec as { type: string }).type}" is not available in this build`);
  }
}

/**
 * The sandbox key: made once, kept in the sandbox, so re-runs and `orel
 * verify` agree. Shards started at once on a fresh sandbox race to make it:
 * link() publishes a whole key file or fails, so one key wins and all use it.
 */
async function sandboxKeySigner(sandboxDir: string): Promise<Signer> {
  const dir = join(sandboxDir, 'keys');
  const key = join(dir, 'sandbox.key');
  if (!existsSync(key)) {
    await mkdir(dir, { recursive: true });
    const { privateKeyPem, publicKeyPem } = generateKeyPair();
    const tmp = `${key}.${process.pid}.tmp`;
    await writeFile(tmp, privateKeyPem, { mode: 0o600 });
    const won = await link(tmp, key).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
        return false;
      },
    );
    await rm(tmp, { force: true });
    if (won) await writeFile(join(dir, 'sandbox.pub'), publicKeyPem);
  }
  return createKeyFileSigner({ key }, { baseDir: dir });
}

export async function sandboxSigner(_name: string, spec: SignerSpec, rp: ResolvedPlan, sandboxDir: string): Promise<SignerSetup> {
  switch (spec.type) {
    case 'keyless':
      // The loopback Sigstore: token minted for the plan's verification identity.
      return sandboxKeylessSetup(spec, rp, sandboxDir);
    // mock signers: more types are added here.
    default: {
      // A key file the real run will need must exist and parse (no secret is read).
      if (spec.type === 'key') await checkPrivateKeyFile(resolve(rp.dir, spec.key));
      // Key files, KMS keys and HSM keys all become the sandbox key.
      const signer = await sandboxKeySigner(sandboxDir);
      return { signer, witnesses: [], trust: { publicKeyPem: await signer.publicKeyPem!() } };
    }
  }
}
