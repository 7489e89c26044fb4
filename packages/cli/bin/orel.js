#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm ci`'s prepare step).
import { main } from '../dist/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
