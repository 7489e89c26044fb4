// The HTML report in a real browser: Debian's Chromium, headless, driven by
// playwright-core. After a mock release of the quickstart, `orel report
// --html` renders a page whose rows are the JSON report's files (names,
// sizes, digests, verification), that makes no network request at all, and
// that screenshots; the badge renders too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { QUICKSTART, errorLines, orel } from './helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

test('orel report --html: the rows are the report, no request leaves the page, it renders', async (t) => {
  if (!CHROMIUM) return t.skip('Chromium is not installed: apt-get install chromium (.ci/run installs it)');
  const { chromium } = await import('playwright-core');
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-html-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(QUICKSTART, dir, { recursive: true, filter: (src) => !src.includes('/.orel') });
  const released = await orel(['release', '--plan', 'release.yaml'], { cwd: dir });
  assert.equal(released.status, 0, errorLines(released.stderr));
  for (const [args, file] of [[['--html'], 'report.html'], [['--badge'], 'badge.svg']] as const) {
    const r = await orel(['report', ...args, '-o', file], { cwd: dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
  }
  const json = (await orel(['report'], { cwd: dir })).stdout;
  const report = JSON.parse(json) as { verified: boolean; artifacts: { name: string; kind: string; size: number; sha256: string; verified?: boolean }[] };
  const files = report.artifacts.filter((a) => !['signature', 'certificate', 'bundle'].includes(a.kind));

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (req) => void (req.url().startsWith('file:') || requests.push(req.url())));
  await page.goto(pathToFileURL(join(dir, 'report.html')).href);
  const rows = await page.$$eval('#artifacts tbody tr', (trs) => trs.map((tr) => ({ name: tr.getAttribute('data-name'), size: Number(tr.getAttribute('data-size')), sha256: tr.getAttribute('data-sha256'), verified: tr.getAttribute('data-verified'), shown: (tr as unknown as { innerText: string }).innerText })));
  assert.deepEqual(
    rows.map((r) => [r.name, r.size, r.sha256, r.verified]),
    files.map((a) => [a.name, a.size, a.sha256, a.verified ? 'ok' : a.verified === false ? 'bad' : 'none']),
  );
  for (const r of rows) assert.ok(r.shown.includes(r.name!) && r.shown.includes(r.sha256!), `row of ${r.name} shows its name and digest`);
  assert.equal(await page.textContent('#verdict'), report.verified ? 'verified' : 'not verified');
  assert.ok((await page.$$('#steps tbody tr')).length > 5, 'the steps are listed');
  const shot = join(dir, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000, 'a screenshot of the page');
  await page.goto(pathToFileURL(join(dir, 'badge.svg')).href);
  assert.equal(await page.getAttribute('svg', 'aria-label'), 'orel: verified');
  assert.deepEqual(requests, [], 'no request left the page');
  assert.ok(readFileSync(join(dir, 'report.html'), 'utf8').startsWith('<!doctype html>'));
});
