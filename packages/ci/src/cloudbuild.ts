// Cloud Build (as krel's releases run): one build whose stage steps run at
// once (waitFor the install step only), then merge, then release. Cloud
// Build gates a build on approval in its trigger (approvalConfig), not in
// the config: the header says so.
import { generatedBy, shardLabels, toYaml, type CiSpec } from './spec.js';

export function cloudBuildConfig(spec: CiSpec): string {
  const image = `node:${spec.node}`;
  const [bin, ...pre] = spec.orel.split(/\s+/);
  const orel = (id: string, waitFor: string[], cmd: string, ...args: string[]) => ({
    id,
    name: image,
    entrypoint: bin,
    args: [...pre, cmd, '--plan', spec.plan, '--nomock', '--build-id', '$BUILD_ID', ...args],
    waitFor,
  });
  const stages = shardLabels(spec.shards).map((l) => orel(`stage-${l.split('/')[0]}`, ['prepare'], 'stage', '--shard', l));
  const config = {
    steps: [
      { id: 'prepare', name: image, entrypoint: 'sh', args: ['-c', [spec.install, spec.build].filter(Boolean).join(' && ')] },
      ...stages,
      orel('merge', stages.map((s) => s.id), 'merge', '--shards', String(spec.shards)),
      orel('release', ['merge'], 'release'),
      orel('verify', ['release'], 'verify'),
    ],
    options: { env: ['METADATA_SERVER_DETECTION=none'], logging: 'CLOUD_LOGGING_ONLY' },
    timeout: '7200s',
  };
  return toYaml([config], `${generatedBy(spec, 'cloudbuild')}\nRequire approval on the trigger that runs it (gcloud builds triggers ... --require-approval).`);
}
