export * from './errors.js';
export * from './artifact.js';
export * from './concurrency.js';
export * from './retry.js';
export * from './template.js';
export * from './redact.js';
export * from './ports.js';
export * from './log.js';
