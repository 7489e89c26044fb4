export * from './fs.js';
export * from './github-assets.js';
export * from './github.js';
export * from './gcs.js';
export * from './gcs-content.js';
export * from './gcs-crc32c.js';
export * from './markers.js';
export * from './sandbox-github.js';
