// On GitHub Actions (GITHUB_ACTIONS=true): each step's output folded into a
// group, errors that name a plan position as annotations on that line, and a
// job summary of the release (artifacts, digests, signatures, log indexes,
// the verification outcome and VERIFY.md). Workflow commands go to stderr, so
// --json keeps stdout for the report; the runner reads commands from both.
import { LineReporter, OrelError, redact, type StepOutcome } from '@orel/core';
import type { ReleaseReport } from '@orel/release';
import { appendFileSync, readFileSync } from 'node:fs';

export const onGitHubActions = (): boolean => process.env.GITHUB_ACTIONS === 'true';

/** Escapes a workflow command's message (and, with `property`, a property value). */
export function escapeCommand(s: string, property = false): string {
  const e = s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return property ? e.replace(/:/g, '%3A').replace(/,/g, '%2C') : e;
}

/** Plain lines, each step inside a ::group:: the job log folds. */
export class GitHubActionsReporter extends LineReporter {
  constructor(
    private readonly out: (line: string) => void = (l) => process.stderr.write(l + '\n'),
    verbose = false,
  ) {
    super(out, verbose);
  }
  override stepStart(stage: string, step: string): void {
    this.out(`::group::${escapeCommand(`${stage}/${step}`)}`);
    super.stepStart(stage, step);
  }
  override stepEnd(stage: string, step: string, r: StepOutcome): void {
    // A skipped step never started a group.
    super.stepEnd(stage, step, r);
    if (r.status !== 'skipped') this.out('::endgroup::');
  }
}

const POSITION = /^(?<file>[^\s:]+):(?<line>\d+):(?<col>\d+): (?<message>.*)$/s;

/**
 * The ::error:: annotations for a failure: one per problem that names a
 * file:line:column (plan errors), else one for the error itself.
 */
export function errorAnnotations(e: unknown): string[] {
  const code = e instanceof OrelError ? e.code : 'INTERNAL';
  const message = redact(e instanceof Error ? e.message : String(e));
  const problems = e instanceof OrelError ? [message, ...(e.details ?? []).map(redact)] : [message];
  const positioned = problems.flatMap((p) => p.split('\n')).map((p) => POSITION.exec(p)?.groups).filter((g) => g !== undefined);
  const title = `orel ${code}`;
  if (positioned.length === 0) return [`::error title=${escapeCommand(title, true)}::${escapeCommand(message)}`];
  return [...new Map(positioned.map((g) => [`${g.file}:${g.line}:${g.col}:${g.message}`, g])).values()].map(
    (g) => `::error file=${escapeCommand(g.file, true)},line=${g.line},col=${g.col},title=${escapeCommand(title, true)}::${escapeCommand(g.message)}`,
  );
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The job summary in Markdown. */
export function jobSummary(report: ReleaseReport & { error?: { code: string; message: string } }, extra: { logIndexes?: ReadonlyMap<string, string>; notes?: string } = {}): string {
  const verdict = report.verified ? '✅ verified' : report.error ? `❌ failed: \`${report.error.code}\` ${cell(report.error.message)}` : '❌ not verified';
  const lines = [`## orel: ${report.release.name} ${report.release.version} (${report.mode}) — ${verdict}`, ''];
  const artifacts = report.artifacts.filter((a) => a.kind !== 'signature' && a.kind !== 'certificate' && a.kind !== 'bundle');
  if (artifacts.length) {
    lines.push('| artifact | size | sha256 | signatures | log index | verified |', '| --- | ---: | --- | --- | --- | :---: |');
    for (const a of artifacts) {
      const sigs = a.signatures.map((s) => `\`${cell(s.name)}\``).join(' ');
      const log = a.signatures.map((s) => extra.logIndexes?.get(s.name)).find((x) => x !== undefined) ?? '';
      const ok = a.verified === true ? '✅' : a.verified === false ? '❌' : '';
      lines.push(`| \`${cell(a.name)}\` | ${a.size} | \`${a.sha256}\` | ${sigs} | ${log} | ${ok} |`);
    }
    lines.push('');
  }
  const problems = report.artifacts.flatMap((a) => a.problems ?? []);
  if (problems.length) lines.push('### Problems', '', ...problems.map((p) => `- ${cell(p)}`), '');
  const steps = report.stages.flatMap((s) => s.steps.map((st) => `| ${s.name}/${st.name} | ${st.status} | ${st.ms ?? ''} | ${cell(st.note ?? st.reason ?? '')} |`));
  if (steps.length) lines.push('<details><summary>Steps</summary>', '', '| step | status | ms | note |', '| --- | --- | ---: | --- |', ...steps, '', '</details>', '');
  if (extra.notes) lines.push('<details><summary>How users verify it (VERIFY.md)</summary>', '', extra.notes, '', '</details>', '');
  return redact(lines.join('\n'));
}

/** Appends to $GITHUB_STEP_SUMMARY when the runner gives one. */
export function writeJobSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, markdown + '\n');
}

/** Transparency-log indexes by bundle name, from the bundles this run has on disk. */
export function logIndexes(bundles: readonly { name: string; path?: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of bundles) {
    if (!b.path) continue;
    try {
      const doc = JSON.parse(readFileSync(b.path, 'utf8')) as { verificationMaterial?: { tlogEntries?: { logIndex?: string }[] } };
      const index = doc.verificationMaterial?.tlogEntries?.[0]?.logIndex;
      if (index !== undefined) out.set(b.name, String(index));
    } catch {
      // not readable here: the summary leaves the index out
    }
  }
  return out;
}
