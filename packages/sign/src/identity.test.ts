import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isOrelError, redact } from '@orel/core';
import { resolveIdentityToken, resolveTokenSource } from './identity.js';

const jwt = (claims: object) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJlLXBsYWNlaG9sZGVy`;

describe('identity token sources', () => {
  it('prefers an explicit token, then a file, then SIGSTORE_ID_TOKEN; tokens are redacted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orel-id-'));
    try {
      const file = join(dir, 'token');
      await writeFile(file, jwt({ sub: 'from-file' }) + '\n');
      const envTok = jwt({ sub: 'from-env' });
      assert.equal(resolveTokenSource({ token: 'explicit-token', tokenFile: file, env: { SIGSTORE_ID_TOKEN: envTok } }).source, 'explicit');
      assert.equal(await resolveIdentityToken({ tokenFile: file, env: { SIGSTORE_ID_TOKEN: envTok } }), jwt({ sub: 'from-file' }));
      assert.equal(await resolveIdentityToken({ env: { SIGSTORE_ID_TOKEN: envTok } }), envTok);
      assert.equal(redact(`token=${envTok}`), 'token=***');
      await assert.rejects(resolveIdentityToken({ tokenFile: join(dir, 'missing'), env: {} }), (e) => isOrelError(e, 'SIGN_FAILED') && /missing/.test((e as Error).message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('asks GitHub Actions for a token with audience sigstore and the request bearer', async () => {
    const token = jwt({ sub: 'repo:o/r:ref:refs/heads/main' });
    const seen: { url?: string; auth?: string } = {};
    const server = createServer((req, res) => {
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: token }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const env = { ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-bearer-secret' };
      const src = resolveTokenSource({ env });
      assert.equal(src.source, 'github-actions');
      assert.equal(await src.getToken(), token);
      assert.match(seen.url!, /audience=sigstore/);
      assert.equal(seen.auth, 'Bearer request-bearer-secret');
      assert.equal(redact('x request-bearer-secret y'), 'x *** y');
    } finally {
      server.close();
    }
  });

  it('never probes the GCE metadata server unless asked or on Google Cloud; no source is SIGN_FAILED', () => {
    assert.throws(() => resolveTokenSource({ env: {}, gce: 'auto' }), (e) => isOrelError(e, 'SIGN_FAILED') && /SIGSTORE_ID_TOKEN/.test((e as Error).message + (e as { hint?: string }).hint));
    assert.equal(resolveTokenSource({ env: { K_SERVICE: 'svc' }, gce: 'auto' }).source, 'gce-metadata');
    assert.throws(() => resolveTokenSource({ env: { K_SERVICE: 'svc', METADATA_SERVER_DETECTION: 'none' }, gce: 'auto' }));
  });
});
