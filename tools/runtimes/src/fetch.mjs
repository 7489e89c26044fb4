// Fetches the pinned runtimes named (default: all) into the cache, only when
// missing, and prints where each is: `node tools/runtimes/src/fetch.mjs 22 24`.
import { RUNTIMES, nodeRuntime } from './node-runtime.mjs';

const majors = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNTIMES);
for (const major of majors) {
  const { version, node } = nodeRuntime(major);
  console.log(`node ${version}: ${node}`);
}
