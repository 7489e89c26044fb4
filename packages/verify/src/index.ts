// @orel/verify: verification as an end user does it, one module per check.
export * from './digests.js';
export * from './streamed-signatures.js';
export * from './checksums.js';
export * from './signature.js';
export * from './trust.js';
export * from './bundle.js';
export * from './policy.js';
export * from './trust-roots.js';
export * from './verify-blob.js';
export { findRekorEntry, parseRekorBundle, type RekorBundle, type RekorEvidence } from './rekor-lookup.js';
export * from './tuf-trust.js';
