// A loopback HTTP proxy in front of a registry that answers the next N
// requests with a canned error (503 + Retry-After by default), then passes
// everything through. Location headers are rewritten so clients stay on it.
import http from 'node:http';
import type net from 'node:net';
import { forward } from './forward.js';

export interface FaultProxy {
  host: string;
  url: string;
  /** Fail the next `count` requests (optionally only those whose path matches). */
  failNext(count: number, opts?: { status?: number; retryAfter?: string; match?: RegExp }): void;
  /** Requests seen, as "METHOD path" (for assertions). */
  readonly log: string[];
  /** Requests answered with an injected fault. */
  readonly faults: number;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let pending = 0;
  let status = 503;
  let retryAfter: string | undefined = '0';
  let match: RegExp | undefined;
  let faults = 0;
  const log: string[] = [];
  let self = '';

  const server = http.createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    if (pending > 0 && (!match || match.test(req.url ?? ''))) {
      pending--;
      faults++;
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
      res.writeHead(status, headers);
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected fault' }] }));
      return;
    }
    forward(req, res, target, self, { ...req.headers, host: target.host });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  self = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url: self,
    failNext(count, opts = {}) {
      pending = count;
      status = opts.status ?? 503;
      retryAfter = 'retryAfter' in opts ? opts.retryAfter : '0';
      match = opts.match;
    },
    log,
    get faults() {
      return faults;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
