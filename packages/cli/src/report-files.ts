// The last run's report, kept in the build's work directory as JSON (for
// `orel report`), a self-contained HTML page and a badge.
import type { ReleaseReport } from '@orel/release';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '@orel/core';
import { badgeSvg, renderHtmlReport } from './html-report.js';

export const REPORT_FILES = { json: 'report.json', html: 'report.html', badge: 'badge.svg' } as const;

type SavedReport = ReleaseReport & { error?: { code: string; message: string }; logIndexes?: Record<string, string>; generatedAt?: string };

/** Writes the three files (only where this build already has a work directory: a refused run leaves none). */
export function saveReportFiles(workDir: string, report: ReleaseReport & { error?: { code: string; message: string } }, logIndexes: ReadonlyMap<string, string>): void {
  if (!existsSync(workDir)) return;
  const generatedAt = new Date().toISOString();
  const saved: SavedReport = { ...report, logIndexes: Object.fromEntries(logIndexes), generatedAt };
  writeFileSync(join(workDir, REPORT_FILES.json), redact(JSON.stringify(saved, null, 2)) + '\n');
  writeFileSync(join(workDir, REPORT_FILES.html), redact(renderHtmlReport(report, { logIndexes, generatedAt })));
  writeFileSync(join(workDir, REPORT_FILES.badge), badgeSvg(report));
}

export function readSavedReport(workDir: string): SavedReport | undefined {
  const file = join(workDir, REPORT_FILES.json);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SavedReport) : undefined;
}

export function htmlOf(saved: SavedReport): string {
  return renderHtmlReport(saved, { logIndexes: new Map(Object.entries(saved.logIndexes ?? {})), generatedAt: saved.generatedAt });
}
