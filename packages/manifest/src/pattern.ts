// Path patterns such as "bin/{os}/{arch}/{file}" that pull placeholders out
// of a path relative to the artifact root, and the names derived from a path.
import { OrelError } from '@orel/core';

export interface PathPattern {
  source: string;
  /** Returns the placeholder values, or undefined when the path does not match. */
  match(relPath: string): Record<string, string> | undefined;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Compiles a pattern: `{name}` matches within one path segment (shortest
 * match, so "{name}_{os}_{arch}.tar.gz" splits at the first underscores),
 * `*` matches within a segment, `**` matches across segments. The whole path
 * must match. A placeholder used twice must capture the same text.
 * `{file}`, `{base}` and `{ext}` always stand for the parts of the path's
 * base name (see nameParts), which keeps "{arch}{ext}" unambiguous.
 */
export function compilePattern(source: string): PathPattern {
  const tokens = source.match(/\{[A-Za-z_][A-Za-z0-9_]*\}|\*\*|\*|[^{*]+|\{/g) ?? [];
  return {
    source,
    match(relPath) {
      const parts: Record<string, string> = nameParts(relPath);
      const names: string[] = [];
      let re = '';
      for (const tok of tokens) {
        const ph = tok.length > 2 && tok.startsWith('{') ? tok.slice(1, -1) : undefined;
        if (tok === '**') re += '.*';
        else if (tok === '*') re += '[^/]*';
        else if (ph !== undefined && ph in parts) re += escapeRe(parts[ph]);
        else if (ph !== undefined) {
          names.push(ph);
          re += '([^/]+?)';
        } else re += escapeRe(tok);
      }
      const m = new RegExp(`^${re}$`).exec(relPath);
      if (!m) return undefined;
      const out: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) {
        const v = m[i + 1];
        if (out[names[i]] !== undefined && out[names[i]] !== v) return undefined;
        out[names[i]] = v;
      }
      return out;
    },
  };
}

/** Multi-part extensions kept whole, so "{base}" of "x.tar.gz" is "x". */
const DOUBLE_EXTS = ['.tar.gz', '.tar.xz', '.tar.bz2', '.tar.zst', '.spdx.json', '.cdx.json', '.intoto.jsonl'];

/** {file}, {base} and {ext} of a path: "kubectl.tar.gz" → file, "kubectl", ".tar.gz". */
export function nameParts(relPath: string): { file: string; base: string; ext: string } {
  const file = relPath.slice(relPath.lastIndexOf('/') + 1);
  const lower = file.toLowerCase();
  let ext = DOUBLE_EXTS.find((e) => lower.endsWith(e) && lower.length > e.length);
  if (ext === undefined) {
    const dot = file.lastIndexOf('.');
    ext = dot > 0 ? file.slice(dot) : '';
  }
  return { file, base: file.slice(0, file.length - ext.length), ext: file.slice(file.length - ext.length) };
}

/** A destination name must be one plain file name: it becomes a key in every layout and checksum file. */
export function checkDestinationName(name: string, what: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\n\r\0]/.test(name)) {
    throw new OrelError('PLAN_INVALID', `${what} produced ${JSON.stringify(name)}, which is not a plain file name`, {
      hint: 'a destination name may not be empty or contain "/", "\\" or line breaks; use the layout for directories',
    });
  }
  // Room for the longest suffix orel adds (".sigstore.json") within the usual 255-byte file-name limit.
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new OrelError('PLAN_INVALID', `${what} produced a name of ${Buffer.byteLength(name)} bytes (${name.slice(0, 40)}…); at most ${MAX_NAME_BYTES} are allowed`, {
      hint: 'shorten it with the set\'s rename: (file systems and object stores limit names to 255 bytes, and orel adds suffixes such as .sigstore.json)',
    });
  }
}

export const MAX_NAME_BYTES = 200;
