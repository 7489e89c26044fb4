export * from './types.js';
export { planSchema, ARTIFACT_KINDS, STEP_NAMES, SEMVER_RE } from './schema.js';
export { loadPlan, parsePlan, resolveSecret, isSecretPath, type LoadOptions } from './load.js';
export { interpolate, type Interpolated, type Ref } from './interpolate.js';
export { layoutFor, objectKeyFor, PRESET_LAYOUTS } from './layout.js';
export { DEFAULT_STAGE_STEPS, DEFAULT_RELEASE_STEPS, stageSteps } from './steps.js';
export { parseVersion, defaultBuildId, type VersionParts } from './version.js';
export { BUILTIN_VARS } from './semantic.js';
export { suggest, editDistance } from './suggest.js';
