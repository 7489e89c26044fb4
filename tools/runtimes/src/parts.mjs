// Splits test files into N parts of about equal time: the longest file goes
// to the lightest part first (LPT), ties broken by name and part index, so
// the split is the same on every machine. Pure: no I/O.

/**
 * @param {string[]} files test files (paths; weights are keyed by base name)
 * @param {Record<string, number>} seconds measured time per base name; a file without one weighs the median
 * @param {number} n parts
 * @returns {string[][]} the files of each part, each in the given order
 */
export function splitByWeight(files, seconds, n) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`parts: ${n} is not a positive whole number`);
  const known = Object.values(seconds).sort((a, b) => a - b);
  const median = known.length ? known[Math.floor(known.length / 2)] : 1;
  const base = (f) => f.slice(f.lastIndexOf('/') + 1);
  const weight = (f) => seconds[base(f)] ?? median;
  const order = [...files].sort((a, b) => weight(b) - weight(a) || (base(a) < base(b) ? -1 : base(a) > base(b) ? 1 : 0));
  const load = Array(n).fill(0);
  const owner = new Map();
  for (const f of order) {
    const i = load.indexOf(Math.min(...load));
    load[i] += weight(f);
    owner.set(f, i);
  }
  return Array.from({ length: n }, (_, i) => files.filter((f) => owner.get(f) === i));
}

/** "I/N" (1-based) → { index, count }, or an error naming the bad value. */
export function parsePart(text) {
  const m = /^(\d+)\/(\d+)$/.exec(text ?? '');
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new Error(`part "${text}": expected I/N with 1 ≤ I ≤ N, e.g. 2/3`);
  return { index, count };
}
