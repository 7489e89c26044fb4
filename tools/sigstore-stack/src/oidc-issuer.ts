// A loopback OpenID Connect issuer for the private Sigstore stack: discovery
// (/.well-known/openid-configuration), its JWKS, and a token endpoint that
// hands out ID tokens (RS256) for one email identity, as a CI provider's
// token service would. Fulcio verifies the tokens against the JWKS it fetches.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcIssuer {
  /** The issuer URL (http://127.0.0.1:PORT): the token's iss and Fulcio's IssuerURL. */
  url: string;
  /** The token endpoint (POST, no credentials needed on loopback). */
  tokenUrl: string;
  /** An ID token for `email`, audience "sigstore", valid 10 minutes. */
  mintToken(email?: string): string;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export async function startOidcIssuer(opts: { email: string; audience?: string }): Promise<OidcIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(String(jwk.n)).digest('hex').slice(0, 16);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: url,
        jwks_uri: `${url}/keys`,
        token_endpoint: `${url}/token`,
        authorization_endpoint: `${url}/auth`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['sub', 'email', 'email_verified'],
      });
    }
    if (path === '/keys') return json(200, { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] });
    if (path === '/token' && req.method === 'POST') {
      req.resume();
      return req.on('end', () => {
        const token = mintToken();
        json(200, { access_token: token, id_token: token, token_type: 'Bearer', expires_in: 600 });
      });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function mintToken(email = opts.email): string {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
    const claims = { iss: url, sub: email, aud: opts.audience ?? 'sigstore', email, email_verified: true, iat: now, nbf: now - 5, exp: now + 600 };
    const body = `${header}.${b64url(JSON.stringify(claims))}`;
    return `${body}.${b64url(sign('sha256', Buffer.from(body), privateKey))}`;
  }

  return {
    url,
    tokenUrl: `${url}/token`,
    mintToken,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
