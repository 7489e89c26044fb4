import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOrelError } from '@orel/core';
import { Pacer, assetNameFor, decideExisting, parseGitHubUrl } from './github-assets.js';

describe('github asset rules', () => {
  const ctx = { target: 'gh', tag: 'v1', draft: true, replaceDraftAssets: false, want: { size: 3, sha256: 'a'.repeat(64) } };

  it('keeps same bytes, re-uploads broken-off uploads, replaces only on drafts when allowed', () => {
    assert.equal(decideExisting({ name: 'x', state: 'uploaded', size: 3 }, true, ctx), 'keep');
    assert.equal(decideExisting({ name: 'x', state: 'starter', size: 1 }, false, { ...ctx, draft: false }), 'reupload');
    assert.throws(() => decideExisting({ name: 'x', state: 'uploaded', size: 4 }, false, ctx), (e) => isOrelError(e, 'PUBLISH_CONFLICT') && /"x"/.test(e.message) && /replaceDraftAssets/.test(e.hint!));
    assert.equal(decideExisting({ name: 'x', state: 'uploaded', size: 4 }, false, { ...ctx, replaceDraftAssets: true }), 'replace');
    assert.throws(
      () => decideExisting({ name: 'x', state: 'uploaded', size: 4 }, false, { ...ctx, draft: false, replaceDraftAssets: true }),
      (e) => isOrelError(e, 'PUBLISH_CONFLICT') && /published/.test(e.message),
    );
  });

  it('parses github:// URLs and flat asset names', () => {
    assert.deepEqual(parseGitHubUrl('github://acme/tool.js'), { owner: 'acme', repo: 'tool.js' });
    assert.throws(() => parseGitHubUrl('https://github.com/acme/tool', 'gh'), (e) => isOrelError(e, 'PLAN_INVALID') && /'gh'/.test(e.message));
    assert.equal(assetNameFor('release/v1/bin/linux/tool.tar.gz', 'gh'), 'tool.tar.gz');
    assert.throws(() => assetNameFor('a/my file.txt', 'gh'), (e) => isOrelError(e, 'PLAN_INVALID'));
    assert.throws(() => assetNameFor('.hidden', 'gh'), (e) => isOrelError(e, 'PLAN_INVALID'));
  });

  it('paces starts within every sliding window and runs one at a time', async () => {
    let now = 0;
    const slept: number[] = [];
    const pacer = new Pacer([{ max: 3, windowMs: 60_000 }, { max: 5, windowMs: 3_600_000 }], () => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    let running = 0;
    let maxRunning = 0;
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        pacer.run(async () => {
          starts.push(now);
          maxRunning = Math.max(maxRunning, ++running);
          await new Promise((r) => setImmediate(r));
          now += 1000;
          running--;
        }),
      ),
    );
    assert.equal(maxRunning, 1);
    // 3 a minute: the 4th waits for the first to leave the minute window; 5 an hour: the 6th waits an hour.
    assert.deepEqual(starts, [0, 1000, 2000, 60_000, 61_000, 3_600_000]);
    pacer.pauseUntil(now + 5000);
    assert.equal(pacer.delay(), 5000, 'a server-requested pause holds the next start');
  });
});
