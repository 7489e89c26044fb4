// A loopback token-auth front for a registry, as Docker Hub / GHCR do it:
// requests without `Bearer <token>` get 401 with a WWW-Authenticate challenge
// whose realm (/token on this server) hands out the token for basic credentials.
import http from 'node:http';
import type net from 'node:net';
import { forward } from './forward.js';

export interface AuthProxy {
  host: string;
  url: string;
  /** Scopes asked for at /token, for assertions. */
  readonly scopes: string[];
  close(): Promise<void>;
}

export async function startAuthProxy(upstream: string, creds: { username: string; password: string }): Promise<AuthProxy> {
  const target = new URL(upstream);
  const token = `tok-${Math.random().toString(36).slice(2)}`;
  const scopes: string[] = [];
  let self = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', self);
    if (url.pathname === '/token') {
      scopes.push(...url.searchParams.getAll('scope'));
      const ok = req.headers.authorization === `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { token } : { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      req.resume();
      const m = /^\/v2\/(.+?)\/(?:manifests|blobs|tags|referrers)\//.exec(url.pathname);
      const scope = m ? `,scope="repository:${m[1]}:${req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'pull,push'}"` : '';
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${self}/token",service="test-registry"${scope}`, 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const headers = { ...req.headers, host: target.host };
    delete headers.authorization;
    forward(req, res, target, self, headers);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  self = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url: self,
    scopes,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
