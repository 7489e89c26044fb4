export * from './formats.js';
export * from './validate.js';
export * from './read.js';
export * from './binding.js';
