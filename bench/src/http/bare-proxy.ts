import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

/**
 * The floor for any proxy written in Node: a bare node:http server forwarding every request to
 * `upstreamUrl` over an undici pool (what our gateway uses), with no routing, checks or headers.
 */
export async function startBareNodeProxy(upstreamUrl: string): Promise<number> {
  const pool = new Pool(upstreamUrl, { connections: 256 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    pool.request({ method: 'GET', path: req.url ?? '/', headers: { host: req.headers.host ?? '' } }).then(
      (upstream) => {
        res.writeHead(upstream.statusCode, upstream.headers as Record<string, string>);
        upstream.body.pipe(res);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
