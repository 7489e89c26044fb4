export { startSandboxSigstore, SANDBOX_LOG_ORIGIN, TRUSTED_ROOT_FILE } from './sigstore.js';
export type { SandboxSigstore, SandboxSigstoreOptions } from './sigstore.js';
export type { FaultPlan, Faults, SigstoreService } from './faults.js';
export { mintSandboxToken } from './token.js';
export type { TokenClaims } from './token.js';
export { registryBinary, registryMissing, startRegistry, type RunningRegistry } from './registry.js';
export { serveSandboxLog, REKOR_LOG_FILE } from './rekor-log.js';
export { buildTufRepo, serveTufRepo, type TufRepo } from './tuf-repo.js';
export { clientTrustConfig, signingConfig } from './signing-config.js';
