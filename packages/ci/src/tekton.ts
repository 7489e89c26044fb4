// Tekton (OpenShift Pipelines): one Task that runs orel, and a Pipeline over a
// shared workspace: prepare (install + build, once), stage as a matrix of
// shards, merge, an approval (OpenShift Pipelines' manual approval gate), then
// release. Values reach the script through env, never pasted into it.
import { generatedBy, shardLabels, slug, toYaml, type CiSpec } from './spec.js';

const SCRIPT = `#!/bin/sh
set -eu
cd "$(workspaces.source.path)"
case "$OREL_COMMAND" in
  prepare)
    sh -c "$OREL_INSTALL"
    if [ -n "$OREL_BUILD" ]; then sh -c "$OREL_BUILD"; fi ;;
  stage) exec $OREL stage --plan "$OREL_PLAN" --nomock --build-id "$OREL_BUILD_ID" --shard "$OREL_SHARD" ;;
  merge) exec $OREL merge --plan "$OREL_PLAN" --nomock --build-id "$OREL_BUILD_ID" --shards "$OREL_SHARDS" ;;
  release) $OREL release --plan "$OREL_PLAN" --nomock --build-id "$OREL_BUILD_ID"
    exec $OREL verify --plan "$OREL_PLAN" --nomock --build-id "$OREL_BUILD_ID" ;;
  *) echo "unknown command $OREL_COMMAND" >&2; exit 2 ;;
esac
`;

export function tektonPipeline(spec: CiSpec): string {
  const name = `orel-${slug(spec.release)}`;
  const param = (n: string, description: string, def?: string) => ({ name: n, type: 'string', description, ...(def !== undefined && { default: def }) });
  const task = {
    apiVersion: 'tekton.dev/v1',
    kind: 'Task',
    metadata: { name },
    spec: {
      description: `Runs one orel command for ${spec.release} (prepare, stage, merge or release) in the source workspace.`,
      params: [
        param('command', 'prepare | stage | merge | release'),
        param('build-id', 'the build every shard, the merge and the release share'),
        param('shard', 'stage: which shard, I/N', ''),
        param('shards', 'merge: how many shards', ''),
        param('plan', 'the release plan, relative to the workspace', spec.plan),
        param('image', 'the image the step runs (Node.js)', `docker.io/library/node:${spec.node}`),
      ],
      workspaces: [{ name: 'source', description: 'the checkout, with the build output after prepare' }],
      steps: [
        {
          name: 'orel',
          image: '$(params.image)',
          env: [
            { name: 'OREL_COMMAND', value: '$(params.command)' },
            { name: 'OREL_BUILD_ID', value: '$(params.build-id)' },
            { name: 'OREL_SHARD', value: '$(params.shard)' },
            { name: 'OREL_SHARDS', value: '$(params.shards)' },
            { name: 'OREL_PLAN', value: '$(params.plan)' },
            { name: 'OREL', value: spec.orel },
            { name: 'OREL_INSTALL', value: spec.install },
            { name: 'OREL_BUILD', value: spec.build ?? '' },
            { name: 'METADATA_SERVER_DETECTION', value: 'none' },
          ],
          script: SCRIPT,
        },
      ],
    },
  };
  const run = (command: string, extra: { name: string; value: string }[] = []) => ({
    taskRef: { name },
    workspaces: [{ name: 'source', workspace: 'source' }],
    params: [{ name: 'command', value: command }, { name: 'build-id', value: '$(params.build-id)' }, ...extra],
  });
  const pipeline = {
    apiVersion: 'tekton.dev/v1',
    kind: 'Pipeline',
    metadata: { name: `${name}-release` },
    spec: {
      description: `Release ${spec.release}: ${spec.shards} stage shards at once, merge, approval, release.`,
      params: [
        { name: 'build-id', type: 'string', description: 'the build id (e.g. the PipelineRun name); reuse it to resume' },
        { name: 'approvers', type: 'array', description: 'who approves the release (users, or group:<name>)', default: ['group:release-managers'] },
      ],
      workspaces: [{ name: 'source', description: 'the checkout (a ReadWriteMany volume: the shards run at once)' }],
      tasks: [
        { name: 'prepare', ...run('prepare') },
        { name: 'stage', runAfter: ['prepare'], ...run('stage'), matrix: { params: [{ name: 'shard', value: shardLabels(spec.shards) }] } },
        { name: 'merge', runAfter: ['stage'], ...run('merge', [{ name: 'shards', value: String(spec.shards) }]) },
        {
          name: 'approve',
          runAfter: ['merge'],
          taskRef: { apiVersion: 'openshift-pipelines.org/v1alpha1', kind: 'ApprovalTask' },
          params: [
            { name: 'approvers', value: ['$(params.approvers[*])'] },
            { name: 'numberOfApprovalsRequired', value: '1' },
            { name: 'description', value: `Release ${spec.release} build $(params.build-id)?` },
          ],
        },
        { name: 'release', runAfter: ['approve'], ...run('release') },
      ],
    },
  };
  return toYaml([task, pipeline], generatedBy(spec, 'tekton'));
}
