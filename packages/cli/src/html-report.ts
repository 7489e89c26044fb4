// The release report people would rather look at: one self-contained HTML
// page (inline CSS, no script, no external request) with every file, its
// size, digests, signatures and log index, the steps with their timings and
// the verification outcome; and an SVG badge of that outcome.
import type { ReleaseReport } from '@orel/release';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

const SIGNATURE_KINDS = new Set(['signature', 'certificate', 'bundle']);

export interface HtmlReportExtra {
  /** Transparency-log index by bundle name. */
  logIndexes?: ReadonlyMap<string, string>;
  /** When the report was made (ISO 8601). */
  generatedAt?: string;
}

export function renderHtmlReport(report: ReleaseReport & { error?: { code: string; message: string } }, extra: HtmlReportExtra = {}): string {
  const files = report.artifacts.filter((a) => !SIGNATURE_KINDS.has(a.kind));
  const verdict = report.verified ? 'verified' : report.error ? `failed: ${report.error.code}` : 'not verified';
  const rows = files
    .map((a) => {
      const sigs = a.signatures.map((s) => `<code>${escape(s.name)}</code>`).join('<br>');
      const log = a.signatures.map((s) => extra.logIndexes?.get(s.name)).find((x) => x !== undefined) ?? '';
      const state = a.verified === true ? 'ok' : a.verified === false ? 'bad' : 'none';
      return `<tr data-name="${escape(a.name)}" data-sha256="${a.sha256}" data-size="${a.size}" data-verified="${state}"><td><code>${escape(a.name)}</code></td><td>${escape(a.kind)}</td><td class="num" title="${a.size} bytes">${bytes(a.size)}</td><td><code class="digest">${a.sha256}</code></td><td>${sigs}</td><td class="num">${escape(log)}</td><td class="${state}">${state === 'ok' ? '✔' : state === 'bad' ? '✘' : '–'}</td></tr>`;
    })
    .join('\n');
  const problems = report.artifacts.flatMap((a) => a.problems ?? []);
  const steps = report.stages
    .flatMap((s) => s.steps.map((st) => `<tr data-step="${escape(`${s.name}/${st.name}`)}"><td>${escape(`${s.name}/${st.name}`)}</td><td>${escape(st.status)}</td><td class="num">${st.ms ?? ''}</td><td>${escape(st.note ?? st.reason ?? '')}</td></tr>`))
    .join('\n');
  const title = `${report.release.name} ${report.release.version}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>orel: ${escape(title)} — ${escape(verdict)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.verdict { display: inline-block; padding: .15rem .6rem; border-radius: .3rem; color: #fff; background: ${report.verified ? '#1a7f37' : '#cf222e'}; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } .num { text-align: right; } .digest { font-size: 12px; word-break: break-all; }
.ok { color: #1a7f37; } .bad { color: #cf222e; } .none { color: #57606a; }
</style>
</head>
<body>
<h1>${escape(title)} <span class="verdict" id="verdict">${escape(verdict)}</span></h1>
<p>${escape(report.mode)} mode · plan <code>${escape(report.plan)}</code>${report.sandbox ? ` · sandbox <code>${escape(report.sandbox)}</code>` : ''}${extra.generatedAt ? ` · ${escape(extra.generatedAt)}` : ''}</p>
${report.error ? `<p class="bad" id="error"><strong>${escape(report.error.code)}</strong>: ${escape(report.error.message)}</p>` : ''}
<h2>Files (${files.length})</h2>
<table id="artifacts">
<thead><tr><th>file</th><th>kind</th><th>size</th><th>sha256</th><th>signatures</th><th>log index</th><th>verified</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${problems.length ? `<h2>Problems</h2>\n<ul id="problems">${problems.map((p) => `<li>${escape(p)}</li>`).join('')}</ul>` : ''}
<h2>Steps</h2>
<table id="steps">
<thead><tr><th>step</th><th>status</th><th>ms</th><th>note</th></tr></thead>
<tbody>
${steps}
</tbody>
</table>
</body>
</html>
`;
}

/** A shields-style SVG badge: "orel | verified" (green) or "orel | not verified" (red). */
export function badgeSvg(report: Pick<ReleaseReport, 'verified'>): string {
  const label = 'orel';
  const value = report.verified ? 'verified' : 'not verified';
  const lw = 6 * label.length + 10;
  const vw = 6 * value.length + 10;
  const color = report.verified ? '#1a7f37' : '#cf222e';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + vw}" height="20" role="img" aria-label="${label}: ${value}"><title>${label}: ${value}</title><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${color}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle"><text x="${lw / 2}" y="14">${label}</text><text x="${lw + vw / 2}" y="14">${value}</text></g></svg>\n`;
}
