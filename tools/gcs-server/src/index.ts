export { startGcsServer, type GcsServer, type GcsServerOptions, type FaultMatch } from './server.js';
export type { StoredObject } from './store.js';
