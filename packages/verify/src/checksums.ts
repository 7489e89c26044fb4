// Checking a coreutils-format checksum file ("<hex>  <name>", as written by
// sha256sum and read by `sha256sum -c`) against the release's digests.
export type ChecksumAlgorithm = 'sha256' | 'sha512';

const HEX_LEN: Record<ChecksumAlgorithm, number> = { sha256: 64, sha512: 128 };

export interface ChecksumLine {
  line: number;
  hex: string;
  /** Undefined for per-file checksum files (<file>.sha256 holding only the hex). */
  name?: string;
}

/** Parses a checksum file; malformed lines are returned as problems, not thrown. */
export function parseChecksumFile(file: string, text: string, algorithm: ChecksumAlgorithm): { entries: ChecksumLine[]; problems: string[] } {
  const entries: ChecksumLine[] = [];
  const problems: string[] = [];
  const hexRe = new RegExp(`^([0-9a-fA-F]{${HEX_LEN[algorithm]}})(?:(?: [ *])(.+))?$`);
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const m = hexRe.exec(line);
    if (!m) problems.push(`${file}:${i + 1}: not a "<${algorithm} hex>  <name>" line: ${JSON.stringify(line.slice(0, 80))}`);
    else entries.push({ line: i + 1, hex: m[1].toLowerCase(), name: m[2] });
  });
  return { entries, problems };
}

/**
 * Returns every problem (malformed line, mismatch, missing entry, unknown or
 * duplicate entry); an empty list means the file is right. A file holding a
 * bare hex (dl.k8s.io's <file>.sha256) is checked against the single expected entry.
 */
export function checkChecksumFile(opts: {
  file: string;
  text: string;
  expected: Map<string, { sha256?: string; sha512?: string }>;
  algorithm: ChecksumAlgorithm;
}): string[] {
  const { file, expected, algorithm } = opts;
  const parsed = parseChecksumFile(file, opts.text, algorithm);
  const { entries } = parsed;
  const problems = [...parsed.problems];
  const seen = new Set<string>();
  for (const e of entries) {
    let name = e.name;
    if (name === undefined) {
      if (expected.size !== 1) {
        problems.push(`${file}:${e.line}: a line without a file name only fits a per-file checksum`);
        continue;
      }
      name = [...expected.keys()][0];
    }
    if (seen.has(name)) {
      problems.push(`${file}:${e.line}: duplicate entry for ${name}`);
      continue;
    }
    seen.add(name);
    const want = expected.get(name);
    if (!want) {
      problems.push(`${file}:${e.line}: unknown entry ${name} (not an artifact of this release)`);
      continue;
    }
    const wantHex = want[algorithm]?.toLowerCase();
    if (wantHex === undefined) problems.push(`${file}:${e.line}: no recorded ${algorithm} for ${name}`);
    else if (wantHex !== e.hex) problems.push(`${file}:${e.line}: ${algorithm} mismatch for ${name} (file says ${e.hex}, release has ${wantHex})`);
  }
  // In file order (problems name "file:line:"), then what is missing.
  const lineOf = (p: string) => Number(/^:(\d+):/.exec(p.slice(file.length))?.[1] ?? Infinity);
  problems.sort((a, b) => lineOf(a) - lineOf(b));
  for (const name of expected.keys()) if (!seen.has(name)) problems.push(`${file}: missing entry for ${name}`);
  return problems;
}
