export * from './fs.js';
export * from './github-assets.js';
export * from './github.js';
