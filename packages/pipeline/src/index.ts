export * from './step.js';
export * from './journal.js';
export * from './runner.js';
