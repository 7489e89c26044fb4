import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOrelError } from '@orel/core';
import { checkDestinationName, compilePattern, nameParts } from './pattern.js';

test('compilePattern extracts placeholders and rejects non-matching paths', () => {
  const p = compilePattern('bin/{os}/{arch}/{file}');
  assert.deepEqual(p.match('bin/linux/amd64/kubectl'), { os: 'linux', arch: 'amd64' });
  assert.equal(p.match('bin/linux/kubectl'), undefined);
  assert.equal(p.match('bin/linux/amd64/x/kubectl'), undefined, 'a placeholder stays within one segment');
  // {ext} is the base name's extension, so an adjacent placeholder is not ambiguous.
  assert.deepEqual(compilePattern('dist/{name}_{os}_{arch}{ext}').match('dist/my_app_linux_arm64.tar.gz'), {
    name: 'my',
    os: 'app',
    arch: 'linux_arm64',
  });
  assert.deepEqual(compilePattern('dist/{name}-{os}-{arch}{ext}').match('dist/app-linux-arm64.tar.gz'), {
    name: 'app',
    os: 'linux',
    arch: 'arm64',
  });
  assert.deepEqual(compilePattern('**/{os}-{arch}/*.zip').match('a/b/windows-amd64/x.y.zip'), { os: 'windows', arch: 'amd64' });
  assert.deepEqual(compilePattern('{v}/x/{v}').match('1/x/1'), { v: '1' });
  assert.equal(compilePattern('{v}/x/{v}').match('1/x/2'), undefined, 'a repeated placeholder must agree');
  assert.deepEqual(compilePattern('a.b(c)/{x}').match('a.b(c)/y'), { x: 'y' }, 'regexp characters are literal');
  assert.equal(compilePattern('a.b/{x}').match('aXb/y'), undefined);
});

test('nameParts keeps multi-part extensions whole', () => {
  assert.deepEqual(nameParts('dist/kubernetes.tar.gz'), { file: 'kubernetes.tar.gz', base: 'kubernetes', ext: '.tar.gz' });
  assert.deepEqual(nameParts('sbom/app.spdx.json'), { file: 'app.spdx.json', base: 'app', ext: '.spdx.json' });
  assert.deepEqual(nameParts('bin/kubectl'), { file: 'kubectl', base: 'kubectl', ext: '' });
  assert.deepEqual(nameParts('kubectl.exe'), { file: 'kubectl.exe', base: 'kubectl', ext: '.exe' });
  assert.deepEqual(nameParts('.tar.gz'), { file: '.tar.gz', base: '.tar', ext: '.gz' });
});

test('checkDestinationName refuses paths and line breaks', () => {
  for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\nb']) {
    assert.throws(() => checkDestinationName(bad, 'test'), (e) => isOrelError(e, 'PLAN_INVALID'), JSON.stringify(bad));
  }
  checkDestinationName('kubectl-linux-amd64.tar.gz', 'test');
});
