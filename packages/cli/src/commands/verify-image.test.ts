import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, signImage } from '@orel/oci';
import { keySigner, pushImage } from '@orel/oci/testing';
import { registryMissing, startRegistry, type RunningRegistry } from '@orel/registry';
import { verifyImageCommand } from './verify-image.js';

describe('orel verify-image', { skip: registryMissing() }, () => {
  let reg: RunningRegistry;
  const dir = mkdtempSync(join(tmpdir(), 'orel-vi-'));
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 for a signed image with --key, 3 with the wrong key, 2 without a key', async () => {
    const client = new RegistryClient(reg.host);
    const signer = keySigner();
    const img = await pushImage(client, 'rel/app', 'v1');
    await signImage({ client, repo: 'rel/app', digest: img.digest, signer });
    writeFileSync(join(dir, 'cosign.pub'), signer.publicKeyPemSync);
    writeFileSync(join(dir, 'other.pub'), keySigner().publicKeyPemSync);
    const quiet = process.stdout.write;
    const errw = process.stderr.write;
    process.stdout.write = (() => true) as any;
    process.stderr.write = (() => true) as any;
    try {
      assert.equal(await verifyImageCommand(`${reg.host}/rel/app:v1`, { key: join(dir, 'cosign.pub') }), 0);
      assert.equal(await verifyImageCommand(`${reg.host}/rel/app@${img.digest}`, { key: join(dir, 'other.pub') }), 3);
      assert.equal(await verifyImageCommand(`${reg.host}/rel/app:v1`, {}), 2);
    } finally {
      process.stdout.write = quiet;
      process.stderr.write = errw;
    }
  });
});
