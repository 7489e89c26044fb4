// Signing only the checksum files (the Carvel / Flux / Knative layout): the
// aggregate files carry the signatures, every other file is covered by them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orel, workspace, type OrelRun } from './helpers.js';

describe('signing only the checksum files (key, mock mode)', () => {
  const ws = workspace({ after });
  const plan = ws.variant('sums.yaml', (y) => y.replace('  what: artifacts\n', '  what: checksums\n'));
  const dir = () => join(ws.sandbox, 'targets/release/release/v1.2.0');
  let run: OrelRun;

  before(async () => {
    run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
  });

  test('only SHA256SUMS and SHA512SUMS are signed, and the release verifies', () => {
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.json().verified, true);
    const sigs = readdirSync(dir()).filter((f) => (f.endsWith('.sig') || f.endsWith('.sigstore.json')) && !f.endsWith('.intoto.sigstore.json')).sort();
    assert.deepEqual(sigs, ['SHA256SUMS.sig', 'SHA256SUMS.sigstore.json', 'SHA512SUMS.sig', 'SHA512SUMS.sigstore.json']);
  });

  test('openssl accepts the checksum file signature, and sha256sum -c the files', () => {
    const der = join(ws.dir, 'sums.der');
    writeFileSync(der, Buffer.from(readFileSync(join(dir(), 'SHA256SUMS.sig'), 'utf8'), 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir(), 'cosign.pub'), '-signature', der, join(dir(), 'SHA256SUMS')], { encoding: 'utf8' });
    assert.match(out, /Verified OK/);
    assert.match(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir(), encoding: 'utf8' }), /hello-linux-amd64: OK/);
  });

  test('VERIFY.md verifies the checksum file, then the download against it; its orel commands work as written', async () => {
    const notes = readFileSync(join(dir(), 'VERIFY.md'), 'utf8');
    assert.match(notes, /Only `SHA256SUMS` is signed/);
    assert.match(notes, /sha256sum -c SHA256SUMS --ignore-missing/);
    const commands = notes.split('\n').filter((l) => l.startsWith('orel verify-blob SHA256SUMS '));
    assert.ok(commands.length >= 1, notes);
    for (const c of commands) {
      const r = await orel(c.split(' ').slice(1), { cwd: dir() });
      assert.equal(r.status, 0, `${c}\n${r.stderr}`);
    }
  });
});
