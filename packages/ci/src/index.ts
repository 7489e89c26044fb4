export * from './spec.js';
export { githubActionsWorkflow } from './github-actions.js';
export { tektonPipeline } from './tekton.js';
export { cloudBuildConfig } from './cloudbuild.js';
import { cloudBuildConfig } from './cloudbuild.js';
import { githubActionsWorkflow } from './github-actions.js';
import { checkSpec, type CiEngine, type CiSpec } from './spec.js';
import { tektonPipeline } from './tekton.js';

/** The CI definition for an engine, as the file to commit. */
export function ciDefinition(engine: CiEngine, spec: CiSpec): string {
  const make = { 'github-actions': githubActionsWorkflow, tekton: tektonPipeline, cloudbuild: cloudBuildConfig }[engine];
  return make(checkSpec(spec));
}
