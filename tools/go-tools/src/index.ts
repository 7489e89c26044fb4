// Where tests find the peers built from the Go module proxy: PATH, then Go's
// bin directory. `.ci/run` builds missing ones in the background while the
// suite runs (a cold build takes most of 20 minutes on two cores); it marks
// that with the file named by OREL_GO_TOOLS_PENDING, removed when the build
// ends. A test asking for a tool not there yet waits while the marker is
// there, so the builds overlap the tests instead of preceding them.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Longest wait for a tool still being built (CI's whole run must stay within an hour). */
const MAX_WAIT_MS = 40 * 60_000;

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function lookup(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(process.env.GOPATH || join(homedir(), 'go'), 'bin')];
  return dirs.filter(Boolean).map((d) => join(d, name)).find((p) => existsSync(p));
}

/**
 * The tool's path, or undefined when it is not installed. Synchronous (skip
 * decisions are made as a test file loads); blocks while CI's background
 * build is still running and may yet install it.
 */
export function findGoTool(name: string, opts: { pending?: string; maxWaitMs?: number; pollMs?: number } = {}): string | undefined {
  const pending = opts.pending ?? process.env.OREL_GO_TOOLS_PENDING;
  const deadline = Date.now() + (opts.maxWaitMs ?? MAX_WAIT_MS);
  let found = lookup(name);
  let told = false;
  while (!found && pending && existsSync(pending) && Date.now() < deadline) {
    if (!told) process.stderr.write(`# waiting for ${name}: .ci/run is still building the Go tools (${pending})\n`);
    told = true;
    sleep(opts.pollMs ?? 2000);
    found = lookup(name);
  }
  return found;
}
