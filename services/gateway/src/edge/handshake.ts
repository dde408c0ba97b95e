import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { AppError } from '@realchat/errors';
import { clientKey } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import type { RateLimiter } from '@realchat/store';

export interface HandshakeCheckOptions {
  /** Whether an address is a trusted proxy (`proxy-addr`'s compiled trust), as for HTTP requests. */
  readonly trust: (address: string, hop: number) => boolean;
  readonly ipLimiter?: RateLimiter;
  /** Open sockets one client address may hold at once. */
  readonly maxSocketsPerIp: number;
  /** The edge's access rule and token check for the handshake; throws the AppError to refuse it with. */
  readonly authorize: (method: string, url: string, authorization: string | undefined) => Promise<void>;
  /** Other browser origins allowed to open sockets; the gateway's own origin and requests without `Origin` (non-browser clients) pass. */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly logger: Logger;
}

/** The value the nearest proxy added to a comma-separated forwarding header. */
export function lastEntry(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const last = value.slice(value.lastIndexOf(',') + 1).trim();
  return last === '' ? undefined : last;
}

/** What the gateway derives of a handshake's client, as Fastify does for HTTP requests. */
export function handshakeFacts(req: IncomingMessage, trust: (address: string, hop: number) => boolean): { chain: string[]; host: string | undefined; proto: string } {
  const chain = proxyAddr.all(req, trust).reverse();
  const peerTrusted = trust(req.socket.remoteAddress ?? '', 0);
  const host = (peerTrusted ? lastEntry(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
  const proto = (peerTrusted ? lastEntry(req.headers['x-forwarded-proto']) : undefined) ?? 'http';
  return { chain, host, proto };
}

/**
 * The edge checks of a WebSocket handshake, whoever serves the socket (a hosted endpoint or an
 * upstream): the origin allow-list, the per-IP rate of handshakes, the access rule, and the per-IP
 * count of open sockets. Resolves with the error to refuse the handshake with, or undefined; an
 * accepted handshake counts against its address until its TCP connection closes.
 */
export function createHandshakeCheck(options: HandshakeCheckOptions): (req: IncomingMessage) => Promise<AppError | undefined> {
  const open = new Map<string, number>();
  return async (req) => {
    const { chain, host, proto } = handshakeFacts(req, options.trust);
    const client = chain[0] === undefined ? 'unknown' : clientKey(chain[0]);
    // Cross-site WebSocket hijacking needs another origin: a page served by the gateway itself may connect.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `${proto}://${host}` && !options.allowedOrigins.has(origin)) return new AppError('FORBIDDEN', 'this origin may not open sockets');
    if (options.ipLimiter !== undefined) {
      const decision = await options.ipLimiter.hit(`ip:${client}`).catch(() => undefined);
      if (decision !== undefined && !decision.allowed) {
        const retry = String(Math.ceil(decision.resetMs / 1000));
        return new AppError('RATE_LIMITED', `too many requests; retry in ${retry} s`, { headers: { 'Retry-After': retry } });
      }
    }
    try {
      await options.authorize(req.method ?? 'GET', req.url ?? '/', req.headers.authorization);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) options.logger.warn({ err }, 'websocket handshake check failed');
      return err instanceof AppError ? err : new AppError('INTERNAL', 'the handshake could not be checked', { cause: err });
    }
    const count = open.get(client) ?? 0;
    if (count >= options.maxSocketsPerIp) return new AppError('RATE_LIMITED', `at most ${options.maxSocketsPerIp} open sockets per client address`, { headers: { 'Retry-After': '1' } });
    // The upgraded socket is this TCP connection, whether served here or piped to an upstream.
    if (req.socket.destroyed) return undefined;
    open.set(client, count + 1);
    req.socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left === 0) open.delete(client);
      else open.set(client, left);
    });
    return undefined;
  };
}
