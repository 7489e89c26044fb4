export { default } from './configs/eslint.config.js';
