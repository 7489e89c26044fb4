// Each generated definition is checked by the engine's own tooling available
// here: actionlint for the workflow, the Tekton v1 Pipeline and Task CRD
// schemas (tektoncd/pipeline config/300-crds, stored in testdata), and the
// Cloud Build config schema (SchemaStore's cloudbuild.json). Golden files pin
// the exact text users commit (OREL_UPDATE_GOLDEN=1 rewrites them).
import { findGoTool } from '@orel/go-tools';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { OrelError } from '@orel/core';
import { CI_ENGINES, ciDefinition, type CiSpec } from './index.js';

const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const SPEC: CiSpec = { plan: 'release.yaml', release: 'hello', shards: 4, build: 'make dist', install: 'npm ci', node: '24', orel: 'npx orel' };
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);

/** A validator for a stored schema; Kubernetes' x-kubernetes-* keywords and Google's formats are allowed. */
function validator(file: string): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const schema = JSON.parse(readFileSync(join(TESTDATA, file), 'utf8')) as Record<string, unknown>;
  delete schema.$schema; // draft-07 and OpenAPI v3 subsets: Ajv's default draft reads both
  return ajv.compile(schema);
}
const problems = (v: ValidateFunction, doc: unknown): string[] => (v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

const actionlint = (): string | undefined => findGoTool('actionlint');

describe('CI definitions from a plan', () => {
  for (const engine of CI_ENGINES) {
    test(`${engine}: matches its golden file`, () => {
      const golden = join(TESTDATA, `${engine}.golden.yaml`);
      const text = ciDefinition(engine, SPEC);
      if (process.env.OREL_UPDATE_GOLDEN) writeFileSync(golden, text);
      assert.equal(text, readFileSync(golden, 'utf8'));
    });
  }

  test('github-actions: actionlint accepts the workflow, for 1 and 7 shards too', (t) => {
    const bin = actionlint();
    if (!bin) return t.skip('actionlint not installed: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12');
    const dir = mkdtempSync(join(tmpdir(), 'orel-ci-'));
    try {
      for (const shards of [1, 4, 7]) {
        const file = join(dir, `release-${shards}.yml`);
        writeFileSync(file, ciDefinition('github-actions', { ...SPEC, shards, build: shards === 1 ? undefined : SPEC.build }));
        const r: SpawnSyncReturns<string> = spawnSync(bin, ['-no-color', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `actionlint on ${shards} shards:\n${r.stdout}${r.stderr}`);
      }
      // And it is a real judge: a workflow with a broken expression fails.
      const bad = join(dir, 'bad.yml');
      writeFileSync(bad, ciDefinition('github-actions', SPEC).replace('${{ github.run_id }}', '${{ github.no_such_thing( }}'));
      assert.notEqual(spawnSync(bin, ['-no-color', bad], { encoding: 'utf8' }).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('github-actions: a matrix of N stage jobs with id-token: write, then merge, then release behind an environment', () => {
    const [wf] = docs(ciDefinition('github-actions', { ...SPEC, shards: 7 })) as [any];
    assert.deepEqual(wf.jobs.stage.strategy.matrix.shard, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(wf.jobs.stage.permissions['id-token'], 'write');
    assert.match(wf.jobs.stage.steps.at(-1).run, /orel stage --plan release\.yaml --nomock --build-id \$\{\{ github\.run_id \}\} --shard \$\{\{ matrix\.shard \}\}\/7$/);
    assert.equal(wf.jobs.merge.needs, 'stage');
    assert.match(wf.jobs.merge.steps.at(-1).run, /orel merge .*--shards 7$/);
    assert.equal(wf.jobs.release.needs, 'merge');
    assert.equal(wf.jobs.release.environment, 'release');
  });

  test('tekton: the Task and the Pipeline validate against the tekton.dev/v1 CRD schemas; a broken one does not', () => {
    const [task, pipeline] = docs(ciDefinition('tekton', SPEC)) as [any, any];
    assert.equal(task.kind, 'Task');
    assert.equal(pipeline.kind, 'Pipeline');
    const taskSchema = validator('tekton-task-v1.schema.json');
    const pipelineSchema = validator('tekton-pipeline-v1.schema.json');
    assert.deepEqual(problems(taskSchema, task), []);
    assert.deepEqual(problems(pipelineSchema, pipeline), []);
    const stage = pipeline.spec.tasks.find((x: any) => x.name === 'stage');
    assert.deepEqual(stage.matrix.params[0].value, ['1/4', '2/4', '3/4', '4/4']);
    assert.deepEqual(pipeline.spec.tasks.map((x: any) => [x.name, x.runAfter?.[0]]), [['prepare', undefined], ['stage', 'prepare'], ['merge', 'stage'], ['approve', 'merge'], ['release', 'approve']]);
    // The schemas judge: a step without an image name and a param of an unknown type are refused.
    assert.notDeepEqual(problems(taskSchema, { ...task, spec: { ...task.spec, steps: [{ name: 7 }] } }), []);
    assert.notDeepEqual(problems(pipelineSchema, { ...pipeline, spec: { ...pipeline.spec, tasks: 'stage' } }), []);
  });

  test('cloudbuild: the config validates against the Cloud Build schema; stage steps run at once, then merge, then release', () => {
    const [config] = docs(ciDefinition('cloudbuild', SPEC)) as [any];
    const schema = validator('cloudbuild.schema.json');
    assert.deepEqual(problems(schema, config), []);
    assert.notDeepEqual(problems(schema, { ...config, timeout: '2h' }), [], 'the schema refuses a malformed timeout');
    assert.notDeepEqual(problems(schema, { options: config.options }), [], 'the schema requires steps');
    const ids = config.steps.map((s: any) => s.id);
    assert.deepEqual(ids, ['prepare', 'stage-1', 'stage-2', 'stage-3', 'stage-4', 'merge', 'release', 'verify']);
    for (const s of config.steps.slice(1, 5)) assert.deepEqual(s.waitFor, ['prepare']);
    assert.deepEqual(config.steps[5].waitFor, ['stage-1', 'stage-2', 'stage-3', 'stage-4']);
    assert.deepEqual(config.steps[1].args, ['orel', 'stage', '--plan', 'release.yaml', '--nomock', '--build-id', '$BUILD_ID', '--shard', '1/4']);
  });

  test('bad numbers are refused with the flag named', () => {
    for (const [spec, flag] of [[{ ...SPEC, shards: 0 }, '--shards 0'], [{ ...SPEC, shards: 2.5 }, '--shards 2.5'], [{ ...SPEC, node: 'lts' }, '--node "lts"']] as const) {
      assert.throws(() => ciDefinition('tekton', spec), (e: unknown) => e instanceof OrelError && e.code === 'USAGE' && e.message.startsWith(flag));
    }
  });
});
