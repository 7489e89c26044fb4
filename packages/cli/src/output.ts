import { OrelError, exitStatusFor, redact } from '@orel/core';
import type { ReleaseReport } from '@orel/release';
import { errorAnnotations, onGitHubActions } from './github-actions.js';

/** Prints an error for people (stderr): message, per-item details, then the hint. */
export function printError(e: unknown): number {
  const lines: string[] = [];
  if (e instanceof OrelError) {
    lines.push(`error[${e.code}]: ${e.message}`);
    // Plan errors already list their problems in the message.
    for (const d of e.details ?? []) if (!e.message.includes(d)) lines.push(`  - ${d}`);
    if (e.hint) lines.push(`hint: ${e.hint}`);
  } else {
    lines.push(`error: ${(e as Error)?.stack ?? String(e)}`);
  }
  process.stderr.write(redact(lines.join('\n')) + '\n');
  if (onGitHubActions()) process.stderr.write(errorAnnotations(e).join('\n') + '\n');
  return exitStatusFor(e);
}

export function errorJson(e: unknown): { code: string; message: string; details?: string[] } {
  return e instanceof OrelError
    ? { code: e.code, message: redact(e.message), details: e.details?.map(redact) }
    : { code: 'INTERNAL', message: redact(String((e as Error)?.message ?? e)) };
}

/** Prints the report: JSON on stdout with --json, a short summary otherwise. */
export function printReport(report: ReleaseReport & { error?: unknown }, json: boolean): void {
  if (json) {
    process.stdout.write(redact(JSON.stringify(report, null, 2)) + '\n');
    return;
  }
  const files = report.artifacts.length;
  const bad = report.artifacts.filter((a) => a.verified === false);
  const where = report.mode === 'mock' ? ` in the sandbox ${report.sandbox}` : '';
  const verdict = report.verified ? 'every artifact verified' : bad.length ? `${bad.length} artifact(s) failed verification` : 'not verified';
  process.stdout.write(`${report.release.name} ${report.release.version} (${report.mode}): ${files} files${where}; ${verdict}\n`);
}
