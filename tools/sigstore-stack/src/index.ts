export { startPrivateSigstore, stackMissing, STACK_BINARIES, type PrivateSigstore } from './stack.js';
export { startOidcIssuer, type OidcIssuer } from './oidc-issuer.js';
