// Argument parsing for the conformance protocol: flags come in the order the
// suite documents; unknown flags are an error, so a protocol change is loud.

export interface ParsedArgs {
  command: string;
  flags: Map<string, string | true>;
  positional: string[];
}

const BOOLEAN_FLAGS = new Set(['--staging', '--in-toto']);

export function parseArgs(argv: string[], known: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    if (!known.includes(a)) throw new Error(`unknown option ${a} for ${command}`);
    if (BOOLEAN_FLAGS.has(a)) flags.set(a, true);
    else {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      flags.set(a, v);
    }
  }
  return { command: command ?? '', flags, positional };
}

export const str = (p: ParsedArgs, flag: string): string | undefined => {
  const v = p.flags.get(flag);
  return typeof v === 'string' ? v : undefined;
};
