import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSchema } from './index.js';
import { interpolate } from './interpolate.js';
import { suggest } from './suggest.js';

/** Every object schema below `node`, with its JSON path. */
function* objects(node: unknown, path = '#'): Generator<[string, Record<string, any>]> {
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, any>;
  if (o.properties) yield [path, o];
  for (const [k, v] of Object.entries(o)) {
    if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* objects(x, `${path}/${k}/${i}`);
    else if (v && typeof v === 'object') yield* objects(v, `${path}/${k}`);
  }
}

test('every object in the schema is closed and every property described', () => {
  let props = 0;
  for (const [path, o] of objects(planSchema)) {
    if (path.endsWith('/properties')) continue; // a property literally named "properties" does not exist
    assert.equal(o.additionalProperties, false, `${path} must reject unknown keys`);
    for (const [name, p] of Object.entries(o.properties as Record<string, any>)) {
      props++;
      assert.ok(typeof p.description === 'string' && p.description.length > 3, `${path}/properties/${name} has no description`);
    }
  }
  assert.ok(props > 80, `only ${props} properties found`);
  assert.ok(JSON.stringify(planSchema).includes('"const":"orel.dev/v1"'));
});

test('interpolate: references, fallbacks, escapes and malformed input', () => {
  const vars = { version: '1.0.0' };
  assert.deepEqual(interpolate('v${version}-${env:ARCH}', vars, { ARCH: 'arm64' }), { value: 'v1.0.0-arm64', missing: [], envRefs: ['ARCH'] });
  assert.equal(interpolate('${env:X:-dflt}', vars, {}).value, 'dflt');
  assert.equal(interpolate('$${version}', vars, {}).value, '${version}');
  assert.deepEqual(interpolate('a ${nope}', vars, {}).missing, [{ kind: 'var', name: 'nope', index: 2 }]);
  assert.equal(interpolate('${env:A}', vars, undefined).value, '${env:A}', 'without an environment, env refs stay');
  assert.equal(interpolate('x ${unclosed', vars, {}).missing[0].kind, 'malformed');
  assert.equal(interpolate('${1bad}', vars, {}).missing[0].kind, 'malformed');
});

test('suggest finds plausible typos only', () => {
  assert.equal(suggest('tragets', ['targets', 'signers']), 'targets');
  assert.equal(suggest('Signer', ['signers', 'signing']), 'signers');
  assert.equal(suggest('zzz', ['targets', 'signers']), undefined);
});
