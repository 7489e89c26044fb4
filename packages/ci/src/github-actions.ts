// GitHub Actions: a matrix of stage jobs (id-token: write for keyless
// signing), a merge job, and a release job behind an environment whose
// required reviewers approve it. The build id is the workflow run's id, the
// same for every job and for a re-run of failed jobs, so a re-run resumes.
import { generatedBy, shardLabels, shellWord, toYaml, type CiSpec } from './spec.js';

const BUILD_ID = '${{ github.run_id }}';

export function githubActionsWorkflow(spec: CiSpec): string {
  const orel = (cmd: string, ...args: string[]) => [spec.orel, cmd, '--plan', shellWord(spec.plan), '--nomock', '--build-id', BUILD_ID, ...args].join(' ');
  const setup = (withBuild: boolean) => [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': spec.node } },
    { name: 'Install', run: spec.install },
    ...(withBuild && spec.build ? [{ name: 'Build', run: spec.build }] : []),
  ];
  const workflow = {
    name: `release ${spec.release}`,
    on: { push: { tags: ['v*'] }, workflow_dispatch: {} },
    permissions: { contents: 'read' },
    // One release of a ref at a time; never cancel one half-way.
    concurrency: { group: `orel-release-\${{ github.ref }}`, 'cancel-in-progress': false },
    jobs: {
      stage: {
        name: `stage \${{ matrix.shard }}/${spec.shards}`,
        'runs-on': 'ubuntu-latest',
        permissions: { contents: 'read', 'id-token': 'write' },
        strategy: { 'fail-fast': false, matrix: { shard: shardLabels(spec.shards).map((l) => Number(l.split('/')[0])) } },
        steps: [...setup(true), { name: 'Stage one shard', run: orel('stage', '--shard', `\${{ matrix.shard }}/${spec.shards}`) }],
      },
      merge: {
        needs: 'stage',
        'runs-on': 'ubuntu-latest',
        permissions: { contents: 'read', 'id-token': 'write' },
        steps: [...setup(false), { name: 'Merge the shards', run: orel('merge', '--shards', String(spec.shards)) }],
      },
      release: {
        needs: 'merge',
        'runs-on': 'ubuntu-latest',
        // Required reviewers on this environment approve the release.
        environment: 'release',
        permissions: { contents: 'write', 'id-token': 'write' },
        steps: [...setup(false), { name: 'Release', run: orel('release') }, { name: 'Verify as users will', run: orel('verify') }],
      },
    },
  };
  return toYaml([workflow], generatedBy(spec, 'github-actions'));
}
