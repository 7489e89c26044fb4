// One plan problem = "file:line:col: path: what was expected". Problems are
// collected (not thrown one by one) so the user fixes them all in one go.
import type { Document, LineCounter, Node } from 'yaml';
import { formatPath, locate, nodeStart, type PathSeg, where } from './position.js';

export interface SourceCtx {
  /** File name as shown in messages. */
  file: string;
  text: string;
  doc: Document;
  lc: LineCounter;
}

export interface Problem {
  offset: number;
  text: string;
}

/** A problem located at `node` (or, if absent, at the deepest existing node on `path`). */
export function problem(ctx: SourceCtx, path: PathSeg[], message: string, node?: Node): Problem {
  const n = node ?? locate(ctx.doc, path).node;
  const offset = nodeStart(n) ?? 0;
  return { offset, text: `${where(ctx.file, ctx.lc, offset)}: ${formatPath(path)}: ${message}` };
}

/** Problems sorted by position, duplicates dropped. */
export function sortProblems(ps: Problem[]): string[] {
  const seen = new Set<string>();
  return [...ps]
    .sort((a, b) => a.offset - b.offset)
    .map((p) => p.text)
    .filter((t) => (seen.has(t) ? false : (seen.add(t), true)));
}

/** The source text of a node, as written (e.g. 1.20 rather than the number 1.2). */
export const sourceOf = (ctx: SourceCtx, n: Node | undefined): string | undefined =>
  n?.range ? ctx.text.slice(n.range[0], n.range[1]).trim() : undefined;

/** A problem at a source offset (e.g. a ${...} inside a string). */
export function problemAt(ctx: SourceCtx, offset: number, pathText: string, message: string): Problem {
  return { offset, text: `${where(ctx.file, ctx.lc, offset)}: ${pathText}: ${message}` };
}

/** One line for a single problem, else a count and one problem a line. */
export function listMessage(file: string, lines: string[], what: string): string {
  return lines.length === 1 ? lines[0] : `${file}: ${lines.length} ${what}:\n  ${lines.join('\n  ')}`;
}
