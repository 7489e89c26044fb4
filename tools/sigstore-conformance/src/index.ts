export { run, artifactInput } from './protocol.js';
