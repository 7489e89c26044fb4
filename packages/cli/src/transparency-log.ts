// Key-signed artifacts in a transparency log (signing.transparencyLog), for
// teams that want signatures checkable in Rekor (OpenShift's requirement).
// A Rekor witness is added to the key signer; verification then requires the
// entry and checks it against the trusted root that holds the log's key.
import { join } from 'node:path';
import type { ResolvedPlan } from '@orel/plan';
import type { Mode, Trust } from '@orel/release';
import { startSandboxSigstore } from '@orel/sandbox';
import { createKeylessWitnesses, DEFAULT_REKOR_URL } from '@orel/sign';
import { loadTrustedRoot } from '@orel/verify';
import type { Witness } from '@sigstore/sign';
import { planTuf, SANDBOX_IDENTITY, SANDBOX_ISSUER } from './keyless-setup.js';
import { tufOptions } from './trust-options.js';

export interface LogSetup {
  witnesses: Witness[];
  trust: Pick<Trust, 'trustedRoot' | 'trustedRootPath'>;
  close?: () => Promise<void>;
}

export async function keyTransparencyLog(rp: ResolvedPlan, mode: Mode, sandboxDir: string): Promise<LogSetup | undefined> {
  const signing = rp.plan.signing;
  if (!signing?.transparencyLog || rp.plan.signers?.[signing.signer]?.type === 'keyless') return undefined;
  if (mode === 'mock') {
    // The sandbox Rekor stands in for the real one; its key is in the sandbox trusted root.
    const sb = await startSandboxSigstore({ dir: join(sandboxDir, 'sigstore'), identity: SANDBOX_IDENTITY, issuer: SANDBOX_ISSUER });
    return {
      witnesses: createKeylessWitnesses({ rekor: sb.rekorUrl }),
      trust: { trustedRoot: sb.trustedRoot, trustedRootPath: sb.trustedRootPath },
      close: () => sb.close(),
    };
  }
  const root = await loadTrustedRoot(rp.plan.verification?.trustedRoot, { baseDir: rp.dir, tuf: planTuf(rp), tufOptions: tufOptions() });
  return {
    witnesses: createKeylessWitnesses({ rekor: signing.rekor ?? DEFAULT_REKOR_URL }),
    trust: { trustedRoot: root.json, trustedRootPath: root.file },
  };
}
