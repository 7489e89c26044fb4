// Preloaded into a benchmarked orel process (node --import): at exit, writes
// its peak RSS and the bytes it wrote (/proc/self/io wchar) to OREL_BENCH_PROBE.
import { readFileSync, writeFileSync } from 'node:fs';

process.on('exit', () => {
  const out = process.env.OREL_BENCH_PROBE;
  if (!out) return;
  const io = readFileSync('/proc/self/io', 'utf8');
  const wchar = Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? 0);
  writeFileSync(out, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, wchar }));
});
