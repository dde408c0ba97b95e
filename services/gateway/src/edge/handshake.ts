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
 * upstream): the origin allow-list, the per-IP limit, the access rule. Resolves with the error to
 * refuse the handshake with, or undefined.
 */
export function createHandshakeCheck(options: HandshakeCheckOptions): (req: IncomingMessage) => Promise<AppError | undefined> {
  return async (req) => {
    const { chain, host, proto } = handshakeFacts(req, options.trust);
    // Cross-site WebSocket hijacking needs another origin: a page served by the gateway itself may connect.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `${proto}://${host}` && !options.allowedOrigins.has(origin)) return new AppError('FORBIDDEN', 'this origin may not open sockets');
    if (options.ipLimiter !== undefined) {
      const decision = await options.ipLimiter.hit(`ip:${chain[0] === undefined ? 'unknown' : clientKey(chain[0])}`).catch(() => undefined);
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
    return undefined;
  };
}
