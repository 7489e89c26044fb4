import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReleaseReport } from '@orel/release';
import { badgeSvg, renderHtmlReport } from './html-report.js';

const report: ReleaseReport = {
  mode: 'mock',
  plan: 'release.yaml',
  release: { name: 'hello', version: '1.2.0' },
  stages: [{ name: 'release', steps: [{ name: 'verify', status: 'done', ms: 12, note: '3 files verified' }] }],
  verified: true,
  artifacts: [
    { name: '<b>hello</b>', kind: 'binary', size: 2048, sha256: 'a'.repeat(64), published: [], signatures: [{ format: 'bundle', name: 'x.sigstore.json' }], verified: true },
    { name: 'x.sigstore.json', kind: 'bundle', size: 5, sha256: 'b'.repeat(64), published: [], signatures: [], verified: true },
  ],
};

test('the HTML report: one escaped row per file (not per signature), log index, steps, verdict; nothing external', () => {
  const html = renderHtmlReport(report, { logIndexes: new Map([['x.sigstore.json', '42']]) });
  assert.equal((html.match(/<tr data-name=/g) ?? []).length, 1);
  assert.match(html, /<tr data-name="&lt;b&gt;hello&lt;\/b&gt;" data-sha256="a{64}" data-size="2048" data-verified="ok">/);
  assert.ok(!html.includes('<b>hello</b>'), 'names are escaped');
  assert.match(html, /<td class="num">42<\/td>/);
  assert.match(html, /<span class="verdict" id="verdict">verified<\/span>/);
  assert.match(html, /<tr data-step="release\/verify"><td>release\/verify<\/td><td>done<\/td><td class="num">12<\/td>/);
  assert.ok(!/(src|href)=/.test(html), 'no external resource');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const failed = renderHtmlReport({ ...report, verified: false, error: { code: 'VERIFY_FAILED', message: 'digest <differs>' } });
  assert.match(failed, /id="verdict">failed: VERIFY_FAILED</);
  assert.match(failed, /digest &lt;differs&gt;/);
});

test('the badge says verified in green, or not verified in red', () => {
  assert.match(badgeSvg({ verified: true }), /aria-label="orel: verified".*fill="#1a7f37"/);
  assert.match(badgeSvg({ verified: false }), /aria-label="orel: not verified".*fill="#cf222e"/);
});
