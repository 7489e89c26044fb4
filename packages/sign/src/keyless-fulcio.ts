// Fulcio v2 client: one signing certificate for an ephemeral key, bound to
// the identity in an OIDC token. The request is @sigstore/sign's CAClient's
// (publicKeyRequest + proof of possession); our own fetch adds Retry-After
// and the service-named errors.
import { OrelError, type RetryOptions } from '@orel/core';
import { serviceFetch } from './keyless-http.js';

interface FulcioResponse {
  signedCertificateEmbeddedSct?: { chain: { certificates: string[] } };
  signedCertificateDetachedSct?: { chain: { certificates: string[] } };
}

/** The subject Fulcio expects the proof of possession to sign: a verified email, else `sub`. */
export function tokenSubject(token: string): string {
  let claims: { email?: string; email_verified?: boolean; sub?: string };
  try {
    claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new OrelError('SIGN_FAILED', 'the identity token is not a JWT', { hint: 'pass an OIDC ID token (three base64url parts separated by dots)' });
  }
  if (claims.email) {
    if (!claims.email_verified) throw new OrelError('SIGN_FAILED', `the identity token's email ${claims.email} is not verified by its issuer`);
    return claims.email;
  }
  if (claims.sub) return claims.sub;
  throw new OrelError('SIGN_FAILED', 'the identity token has neither an email nor a sub claim');
}

/** Requests a certificate chain (PEM, leaf first) for `publicKeyPem`. */
export async function requestSigningCertificate(opts: {
  fulcioUrl: string;
  token: string;
  publicKeyPem: string;
  proofOfPossession: Buffer;
  retry?: RetryOptions;
}): Promise<string[]> {
  const url = `${opts.fulcioUrl.replace(/\/+$/, '')}/api/v2/signingCert`;
  const res = await serviceFetch({
    service: 'Fulcio',
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      credentials: { oidcIdentityToken: opts.token },
      publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: opts.publicKeyPem }, proofOfPossession: opts.proofOfPossession.toString('base64') },
    }),
    retry: opts.retry,
  });
  const json = (await res.json()) as FulcioResponse;
  const chain = (json.signedCertificateEmbeddedSct ?? json.signedCertificateDetachedSct)?.chain.certificates;
  if (!chain?.length) throw new OrelError('SIGN_FAILED', `Fulcio at ${url} answered without a certificate chain`);
  return chain;
}
