export * from './step.js';
export * from './journal.js';
