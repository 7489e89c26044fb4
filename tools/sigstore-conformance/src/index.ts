export { run, artifactInput, servicesFromSigningConfig } from './protocol.js';
