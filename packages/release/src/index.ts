export * from './context.js';
export * from './helpers.js';
export * from './stages.js';
export * from './read.js';
export { verifyTarget } from './steps/verify.js';
export { fetchStageManifest } from './steps/check-staged.js';
export { STAGE_MANIFEST_NAME, localStageManifestPath } from './steps/record.js';
export * from './notes.js';
export * from './shard.js';
