// Publish exactly what was rehearsed: a --nomock run of a version that was
// rehearsed in mock mode refuses a build output that differs from it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '@orel/sign';
import { errorLines, orel, workspace } from './helpers.js';

describe('rehearsal check', () => {
  const ws = workspace({ after });
  const plan = ws.variant('plain-key.yaml', (y) => y.replace('    password: ${env:COSIGN_PASSWORD}\n', ''));
  const run = (...args: string[]) => orel(['release', '--plan', plan, '--sandbox', ws.sandbox, ...args], { cwd: ws.dir });

  before(async () => {
    mkdirSync(join(ws.dir, 'keys'), { recursive: true });
    writeFileSync(join(ws.dir, 'keys/cosign.key'), generateKeyPair().privateKeyPem);
    const rehearsal = await run();
    assert.equal(rehearsal.status, 0, rehearsal.stderr);
  });

  test('a changed build is refused, naming the file, before anything is signed or published', async () => {
    appendFileSync(join(ws.dir, 'dist/bin/linux/amd64/hello'), '\n# rebuilt after the rehearsal\n');
    const r = await run('--nomock', '--build-id', 'changed');
    assert.equal(r.status, 3, r.stderr);
    const errors = errorLines(r.stderr);
    assert.match(errors, /error\[INTEGRITY\]: the build output differs from what was rehearsed/);
    assert.match(errors, /hello-linux-amd64: sha256 [0-9a-f]{12}… differs from the rehearsed/);
    assert.ok(!existsSync(join(ws.dir, 'out')), 'nothing was published');
  });

  test('--skip-rehearsal-check publishes it anyway', async () => {
    const r = await run('--nomock', '--build-id', 'forced', '--skip-rehearsal-check', '--json');
    assert.equal(r.status, 0, errorLines(r.stderr));
    assert.equal(r.json().verified, true);
  });
});

describe('rehearsal check, same build', () => {
  const ws = workspace({ after });
  const plan = ws.variant('plain-key.yaml', (y) => y.replace('    password: ${env:COSIGN_PASSWORD}\n', ''));

  test('the rehearsed build passes the check and is released for real', async () => {
    mkdirSync(join(ws.dir, 'keys'), { recursive: true });
    writeFileSync(join(ws.dir, 'keys/cosign.key'), generateKeyPair().privateKeyPem);
    assert.equal((await orel(['release', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir })).status, 0);
    const real = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--nomock', '--json'], { cwd: ws.dir });
    assert.equal(real.status, 0, errorLines(real.stderr));
    assert.match(real.stderr, /check-rehearsal .*9 artifacts match the rehearsal/);
    assert.equal(real.json().mode, 'nomock');
  });
});
