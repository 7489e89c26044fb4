export * from './digest.js';
export * from './discover.js';
export * from './pattern.js';
export * from './checksums.js';
export * from './stage-manifest.js';
export { writeFileAtomic } from './atomic.js';
