import { request as httpRequest, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, toProblem } from '@realchat/errors';
import { requestIdFrom, type Logger } from '@realchat/logging';
import { handshakeFacts } from '../edge/handshake.js';
import type { UpstreamPool } from '../upstreams/pool.js';
import { INTERNAL_PREFIX, pathOf, underPrefix, type RouteTable } from '../upstreams/route-table.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import type { ProxyErrorKind } from './http-proxy.js';
import { nextTraceparent } from './traceparent.js';

export interface UpgradeProxyOptions {
  /** The current routes to remote services. */
  readonly routes: () => RouteTable;
  readonly pools: ReadonlyMap<string, UpstreamPool>;
  /** Whether an address is a trusted proxy (`proxy-addr`'s compiled trust), as for HTTP requests. */
  readonly trust: (address: string, hop: number) => boolean;
  /** The edge checks (origin, per-IP limit, access rule): the error to refuse the handshake with, or undefined. */
  readonly check: (req: IncomingMessage) => Promise<AppError | undefined>;
  /** Time allowed for the upstream to answer the handshake, and the longest silence while relaying a refusal's body. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly onError: (service: string, kind: ProxyErrorKind) => void;
}

/** What a client may send before the handshake's answer (it should send nothing). */
const MAX_EARLY_BYTES = 64 * 1024;

export interface UpgradeProxy {
  /** Handles an `upgrade` event; returns false when the path is not a proxied one. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Open tunnels. */
  size(): number;
  /** Destroys every open tunnel (server shutdown). */
  closeAll(): void;
}

export function rawResponse(socket: Duplex, error: AppError, requestId: string, path: string): void {
  const body = JSON.stringify(toProblem(error, { instance: path, requestId }));
  const extra = Object.entries(error.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\nconnection: close\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n${extra}\r\n${body}`,
  );
}

function headBlock(statusLine: string, rawHeaders: readonly string[]): string {
  let out = `${statusLine}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${out}\r\n`;
}

/**
 * WebSocket (any HTTP upgrade) proxying: the handshake goes to one instance of the route's pool
 * with the same header hygiene as HTTP, then the two sockets are piped both ways. Either side
 * ending or failing closes the other; a refused handshake is relayed as the upstream sent it.
 * The handshake passes the same access rules as HTTP; public socket paths (`/chat/ws`) carry their
 * token in the first frame, which the service checks.
 */
export function createUpgradeProxy(options: UpgradeProxyOptions): UpgradeProxy {
  const tunnels = new Set<Duplex>();

  const run = async (req: IncomingMessage, socket: Duplex, head: Buffer, pool: UpstreamPool, requestId: string, path: string): Promise<void> => {
    // The same forwarded facts as Fastify derives for HTTP requests, so services see no difference.
    const { chain, host, proto } = handshakeFacts(req, options.trust);
    const refusal = await options.check(req);
    if (refusal !== undefined) {
      rawResponse(socket, refusal, requestId, path);
      return;
    }
    // The client may have left while the checks ran.
    if (socket.destroyed) return;
    const instance = pool.pick();
    if (instance === undefined) {
      options.onError(pool.service, 'no_instance');
      rawResponse(socket, new AppError('UPSTREAM_UNAVAILABLE', `no healthy instance of ${pool.service}`), requestId, path);
      return;
    }
    const trace = nextTraceparent(req.headers.traceparent);
    const tracestate = trace.continued && typeof req.headers.tracestate === 'string' ? req.headers.tracestate : undefined;
    const headers = upstreamRequestHeaders(
      req.rawHeaders,
      { chain, proto, host, requestId, traceparent: trace.traceparent, tracestate },
      `${instance.hostname}:${instance.port}`,
      true,
    );
    // A fresh connection: an upgraded socket leaves any keep-alive pool anyway.
    const upstream = httpRequest({ hostname: instance.hostname, port: instance.port, method: req.method, path: req.url, headers, agent: false });
    const timer = setTimeout(() => upstream.destroy(new Error('handshake timed out')), options.timeoutMs);
    let settled = false;
    // A client that gives up on its handshake says nothing about the upstream: no failure is counted,
    // or a client could eject healthy instances by opening and dropping handshakes.
    let clientGone = false;

    // The client socket is read during the handshake, or its FIN (a half-close) would go unseen
    // until the timeout; what it sends early (a client may not wait for the 101) is kept, within a bound.
    const early: Buffer[] = [];
    let earlyBytes = 0;
    const onEarlyData = (chunk: Buffer): void => {
      earlyBytes += chunk.length;
      if (earlyBytes > MAX_EARLY_BYTES) socket.destroy();
      else early.push(chunk);
    };
    const onClientGone = (): void => {
      if (settled) return;
      clientGone = true;
      upstream.destroy();
      socket.destroy();
    };
    socket.on('data', onEarlyData);
    socket.once('end', onClientGone);
    socket.once('close', onClientGone);
    const stopWatchingClient = (): void => {
      socket.off('data', onEarlyData);
      socket.off('end', onClientGone);
      socket.off('close', onClientGone);
      socket.pause();
    };

    upstream.on('upgrade', (res, upstreamSocket, upstreamHead) => {
      clearTimeout(timer);
      settled = true;
      stopWatchingClient();
      pool.reportSuccess(instance);
      if (socket.destroyed) {
        upstreamSocket.destroy();
        return;
      }
      socket.write(headBlock(`HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}`, res.rawHeaders));
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      for (const chunk of early) upstreamSocket.write(chunk);
      tunnels.add(socket);
      const close = (): void => {
        tunnels.delete(socket);
        socket.destroy();
        upstreamSocket.destroy();
      };
      socket.on('error', close);
      upstreamSocket.on('error', close);
      socket.on('close', close);
      upstreamSocket.on('close', close);
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
    });

    upstream.on('response', (res) => {
      clearTimeout(timer);
      settled = true;
      stopWatchingClient();
      if ((res.statusCode ?? 502) >= 500) pool.reportFailure(instance);
      if (socket.destroyed) {
        res.destroy();
        return;
      }
      // Node has already decoded a chunked body: its framing headers go, the body ends with the connection.
      socket.write(headBlock(`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}`, clientResponseHeaders(res.rawHeaders, { connection: 'close' })));
      // A body that stalls (or a client that stops reading it) must not hold both sockets for ever.
      const abandon = (): void => {
        res.destroy();
        socket.destroy();
      };
      res.socket.setTimeout(options.timeoutMs, abandon);
      res.once('error', abandon);
      socket.once('close', () => res.destroy());
      res.pipe(socket);
    });

    upstream.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (settled) return;
      // Whatever the client does now, the refusal below is written out in full.
      settled = true;
      if (clientGone) {
        options.onError(pool.service, 'client_abort');
        return;
      }
      pool.reportFailure(instance);
      const timedOut = err.message === 'handshake timed out';
      options.onError(pool.service, timedOut ? 'timeout' : err.code === 'ECONNREFUSED' ? 'connect' : 'reset');
      if (socket.destroyed) return;
      rawResponse(
        socket,
        timedOut ? new AppError('UPSTREAM_TIMEOUT', `${pool.service} did not answer the handshake in time`) : new AppError('BAD_GATEWAY', `${pool.service} could not be reached`),
        requestId,
        path,
      );
    });
    upstream.end();
  };

  return {
    handle(req, socket, head) {
      const url = req.url ?? '/';
      const path = pathOf(url);
      const route = options.routes().match(path);
      if (route === undefined || underPrefix(path, INTERNAL_PREFIX)) return false;
      const pool = options.pools.get(route.service);
      if (pool === undefined) return false;
      socket.on('error', () => socket.destroy());
      const requestId = requestIdFrom(req.headers['x-request-id']);
      // Only WebSocket handshakes are tunnelled: the handshake is forwarded as one (`upgrade: websocket`)
      // and without a body, so another protocol or a request with a body would reach the service
      // mangled and leave it waiting for bytes that never come (and the instance counted as failing).
      if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket' || (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined) {
        rawResponse(socket, new AppError('BAD_REQUEST', 'only WebSocket handshakes (GET, no body) may upgrade'), requestId, path);
        return true;
      }
      run(req, socket, head, pool, requestId, path).catch((err: unknown) => {
        options.logger.error({ err }, 'websocket proxy failed');
        socket.destroy();
      });
      return true;
    },
    size: () => tunnels.size,
    closeAll() {
      for (const socket of tunnels) socket.destroy();
      tunnels.clear();
    },
  };
}
