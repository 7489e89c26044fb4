// Identity tokens for the sandbox's Fulcio. The mock does not check
// signatures: it takes the SAN from `sub` and the issuer from `iss`.

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export interface TokenClaims {
  sub?: string;
  email?: string;
  iss?: string;
  aud?: string;
  [claim: string]: unknown;
}

/**
 * Makes an unsigned-OK JWT for the sandbox. The last segment is a placeholder
 * (not a signature) so the token still looks like a JWT to redaction.
 */
export function mintSandboxToken(identity: string, issuer: string, claims: TokenClaims = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload: TokenClaims = {
    iss: issuer,
    sub: identity,
    aud: 'sigstore',
    iat: now,
    nbf: now,
    exp: now + 600,
    ...(identity.includes('@') ? { email: identity, email_verified: true } : {}),
    ...claims,
  };
  return `${b64url({ alg: 'none', typ: 'JWT', kid: 'orel-sandbox' })}.${b64url(payload)}.${Buffer.from('orel-sandbox-unsigned').toString('base64url')}`;
}
