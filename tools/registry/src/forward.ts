// Passes one request through to the registry behind a test proxy, rewriting
// Location headers so clients keep talking to the proxy.
import http from 'node:http';

export function forward(req: http.IncomingMessage, res: http.ServerResponse, target: URL, self: string, headers: http.OutgoingHttpHeaders): void {
  const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upRes) => {
    const h = { ...upRes.headers };
    if (typeof h.location === 'string') h.location = h.location.replace(target.origin, self);
    res.writeHead(upRes.statusCode ?? 502, h);
    upRes.pipe(res);
  });
  up.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(up);
}
