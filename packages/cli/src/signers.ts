// Signers for the plan's signer: the real adapter (--nomock), or the
// sandbox key / sandbox Sigstore (mock mode), with what verification trusts.
import { OrelError, type Signer } from '@orel/core';
import { isCertified, resolveSecret, type CertifiedSpec, type ResolvedPlan, type SignerSpec } from '@orel/plan';
import type { Trust } from '@orel/release';
import { certifySigner, checkCertified, subjectOf, checkPrivateKeyFile, createKeyFileSigner, createKmsSigner, createPkcs11Signer, generateKeyPair, parseCertificates, type CertifySpec } from '@orel/sign';
import { sandboxCa, writeOnce } from '@orel/sandbox';
import { caTrustedRoot } from '@orel/verify';
import type { Witness } from '@sigstore/sign';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

async function readPlanFile(rp: ResolvedPlan, file: string, field: string): Promise<{ pem: string; file: string }> {
  try {
    return { pem: await readFile(resolve(rp.dir, file), 'utf8'), file };
  } catch (e) {
    throw new OrelError('KEY_INVALID', `${rp.file}: ${field}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** A CA-certified signer's certificate and chain files, read. */
async function certifiedFiles(rp: ResolvedPlan, where: string, spec: Required<CertifiedSpec>): Promise<CertifySpec> {
  return { certificate: await readPlanFile(rp, spec.certificate, `${where}.certificate`), chain: await readPlanFile(rp, spec.certificateChain, `${where}.certificateChain`) };
}

/**
 * The CA certificates verification trusts: verification.ca, else the chain
 * the signer presents. A chain not issued under verification.ca is refused
 * here, before anything is signed: verification would reject every signature.
 */
async function trustedCa(chain: readonly string[], rp: ResolvedPlan, chainFile: string): Promise<{ pems: string[]; source: string }> {
  const ca = rp.plan.verification?.ca;
  if (!ca) return { pems: [...chain], source: `the CA chain ${chainFile}` };
  const trusted = parseCertificates((await readPlanFile(rp, ca, 'verification.ca')).pem, ca);
  const fingerprints = new Set(trusted.map((c) => c.fingerprint256));
  if (!chain.some((pem) => fingerprints.has(new X509Certificate(pem).fingerprint256))) {
    throw new OrelError('KEY_INVALID', `${rp.file}: the signer's certificate is not issued under verification.ca (${ca}); nothing was signed`, {
      hint: `its chain ends with ${subjectOf(new X509Certificate(chain[chain.length - 1]))}: sign with a certificate from the CA verifiers trust, or correct verification.ca`,
    });
  }
  return { pems: trusted.map((c) => c.toString()), source: `the CA certificates of verification.ca (${ca})` };
}

/** A key signer's setup: with certificate, it presents it and verification trusts the CA; else the public key. */
async function keySetup(signer: Signer, spec: SignerSpec, rp: ResolvedPlan, where: string): Promise<SignerSetup> {
  if (!isCertified(spec)) return { signer, witnesses: [], trust: await keyTrust(signer, rp) };
  let certified: Signer;
  let trusted: { pems: string[]; source: string };
  try {
    certified = await certifySigner(signer, await certifiedFiles(rp, where, spec));
    trusted = await trustedCa(certified.certificateChain!, rp, spec.certificateChain);
  } catch (e) {
    // Refused: the KMS client or HSM session opened for it is released here.
    await signer.close?.();
    throw e;
  }
  return { signer: certified, witnesses: [], trust: { trustedRoot: caTrustedRoot(trusted.pems), trustedRootSource: trusted.source }, note: `signs with ${certified.ref}` };
}

export async function realSigner(name: string, spec: SignerSpec, rp: ResolvedPlan, token: CliToken = {}): Promise<SignerSetup> {
  const where = `signers.${name}`;
  switch (spec.type) {
    case 'key': {
      const password = resolveSecret(rp, spec.password, `${where}.password`);
      const signer = await createKeyFileSigner({ key: spec.key, password }, { baseDir: rp.dir });
      return keySetup(signer, spec, rp, where);
    }
    case 'kms': {
      // endpoint + insecure: a private or loopback test endpoint (plaintext only for loopback).
      const signer = await createKmsSigner({ key: spec.key, endpoint: spec.endpoint, insecure: spec.insecure }, { concurrency: rp.plan.signing?.concurrency });
      return keySetup(signer, spec, rp, where);
    }
    case 'pkcs11': {
      const pin = resolveSecret(rp, spec.pin, `${where}.pin`);
      // A bare library name is left to the dynamic loader's search path.
      const module = spec.module.includes('/') ? resolve(rp.dir, spec.module) : spec.module;
      const signer = await createPkcs11Signer({ uri: spec.uri, module, pin }, { concurrency: rp.plan.signing?.concurrency });
      return keySetup(signer, spec, rp, where);
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
    if (await writeOnce(key, privateKeyPem)) await writeFile(join(dir, 'sandbox.pub'), publicKeyPem);
  }
  return createKeyFileSigner({ key }, { baseDir: dir });
}

/**
 * Mock mode for a CA-certified key: the real certificate and chain must be
 * sound (the rehearsal fails where the real run would); the sandbox CA then
 * certifies the sandbox key under the real certificate's names.
 */
async function sandboxCertified(signer: Signer, spec: Required<CertifiedSpec>, rp: ResolvedPlan, where: string, sandboxDir: string): Promise<SignerSetup> {
  const { leaf, chain } = checkCertified(await certifiedFiles(rp, where, spec));
  await trustedCa(chain.map((c) => c.toString()), rp, spec.certificateChain);
  const ca = await sandboxCa(sandboxDir);
  const pem = await ca.certify(createPublicKey(await signer.publicKeyPem!()), { subject: leaf.subject, subjectAltName: leaf.subjectAltName });
  const certified = await certifySigner(signer, { certificate: { pem, file: 'the sandbox certificate' }, chain: { pem: ca.rootPem, file: 'the sandbox CA' } });
  return { signer: certified, witnesses: [], trust: { trustedRoot: caTrustedRoot([ca.rootPem]), trustedRootSource: 'the sandbox CA' } };
}

export async function sandboxSigner(name: string, spec: SignerSpec, rp: ResolvedPlan, sandboxDir: string): Promise<SignerSetup> {
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
      if (isCertified(spec)) return sandboxCertified(signer, spec, rp, `signers.${name}`, sandboxDir);
      return { signer, witnesses: [], trust: { publicKeyPem: await signer.publicKeyPem!() } };
    }
  }
}
