import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOrelError } from './errors.js';
import { joinKey, renderTemplate } from './template.js';

test('renders every placeholder', () => {
  const vars = { version: '1.2.0', os: 'linux', arch: 'amd64', name: 'hello' };
  assert.equal(renderTemplate('release/v{version}/bin/{os}/{arch}/{name}', vars), 'release/v1.2.0/bin/linux/amd64/hello');
});

test('an unknown placeholder is a PLAN_INVALID error naming it and listing the known ones', () => {
  assert.throws(
    () => renderTemplate('release/{version}/{flavour}/{name}', { version: '1.0.0', name: 'x', os: undefined }, 'target "gcs" layout'),
    (e) =>
      isOrelError(e, 'PLAN_INVALID') &&
      e.message.includes('{flavour}') &&
      e.message.includes('target "gcs" layout') &&
      e.message.includes('release/{version}/{flavour}/{name}') &&
      e.hint === 'known placeholders: name, version',
  );
});

test('an undefined value is an error even inside a segment (never "undefined" in a path)', () => {
  assert.throws(() => renderTemplate('hello-{os}-{arch}', { os: 'linux', arch: undefined }), (e) => isOrelError(e, 'PLAN_INVALID') && e.message.includes('{arch}'));
});

test('an empty value may shorten a segment but may not empty a whole one', () => {
  assert.equal(renderTemplate('hello-{os}{ext}', { os: 'linux', ext: '' }), 'hello-linux');
  for (const tpl of ['release/{os}/{name}', '{os}/hello', 'bin/{os}']) {
    assert.throws(() => renderTemplate(tpl, { os: '', name: 'n' }), (e) => isOrelError(e, 'PLAN_INVALID') && e.message.includes('{os}'), tpl);
  }
});

test('joinKey joins with single slashes and drops empty parts', () => {
  assert.equal(joinKey('/prefix/', undefined, '', 'a//', '/b'), 'prefix/a/b');
  assert.equal(joinKey(), '');
});
