#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm ci`'s prepare step); the
// bundled package (tools/pack) starts from the same src/bin.ts.
import '../dist/bin.js';
