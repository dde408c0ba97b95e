import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { AppError } from '@realchat/errors';
import type { UpstreamInstance, UpstreamPool } from '../upstreams/pool.js';
import { clientResponseHeaders, upstreamRequestHeaders, type ForwardedFacts } from './headers.js';

/** Why a proxied request failed, for the `gateway_proxy_errors_total` metric. */
export type ProxyErrorKind = 'no_instance' | 'connect' | 'reset' | 'timeout' | 'body_too_large' | 'client_abort';

export interface ProxyOptions {
  /** Time allowed for an upstream to start its response. */
  readonly timeoutMs: number;
  /** Largest request body forwarded, in bytes. */
  readonly bodyLimit: number;
  /** Attempts for an idempotent request that fails before any response (each on another instance). */
  readonly maxAttempts: number;
}

export interface ProxyExchange {
  readonly pool: UpstreamPool;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly facts: ForwardedFacts;
  /** Headers the gateway's hooks put on the reply (request id, CORS, rate limit, security). */
  readonly gatewayHeaders: Readonly<Record<string, string | number | readonly string[] | undefined>>;
  /** Renders a failure before any upstream response byte reached the client. */
  readonly fail: (error: AppError) => void;
  readonly onError: (kind: ProxyErrorKind, err?: unknown) => void;
}

/** Longest silence allowed between two chunks of an upstream's response body. */
const BODY_IDLE_TIMEOUT_MS = 60_000;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Thrown inside the body stream to stop an upload over the limit. */
class BodyTooLarge extends Error {}

/** The request body, counted as it streams so a chunked upload cannot exceed the limit either. */
async function* limitedBody(req: IncomingMessage, limit: number, onTooLarge: () => void): AsyncGenerator<Buffer> {
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) {
      onTooLarge();
      throw new BodyTooLarge();
    }
    yield chunk;
  }
}

/**
 * Forwards one request to an instance of `pool` and streams the answer back (no buffering).
 * A request with a body is streamed once, so only body-less idempotent requests are retried on
 * another instance, and only when the failure came before any response.
 */
export function proxyRequest(exchange: ProxyExchange, options: ProxyOptions): void {
  const { pool, req, res } = exchange;
  const method = req.method ?? 'GET';
  const withBody = hasBody(req);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (withBody && declared > options.bodyLimit) {
    exchange.onError('body_too_large');
    exchange.fail(new AppError('PAYLOAD_TOO_LARGE', `the body is larger than ${options.bodyLimit} bytes`));
    return;
  }
  const retryable = !withBody && IDEMPOTENT.has(method);
  const path = req.url ?? '/';
  let clientGone = false;
  let tooLarge = false;
  let abortCurrent: ((err?: Error) => void) | undefined;
  let resumeUpstream: (() => void) | undefined;
  res.once('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    abortCurrent?.();
  });
  res.on('drain', () => resumeUpstream?.());
  const body = withBody
    ? Readable.from(
        limitedBody(req, options.bodyLimit, () => {
          tooLarge = true;
          exchange.onError('body_too_large');
          exchange.fail(new AppError('PAYLOAD_TOO_LARGE', `the body is larger than ${options.bodyLimit} bytes`));
        }),
        { objectMode: false },
      )
    : null;

  const attempt = (instance: UpstreamInstance, n: number): void => {
    const headers = upstreamRequestHeaders(req.rawHeaders, exchange.facts, `${instance.hostname}:${instance.port}`);
    let responded = false;
    let timedOut = false;
    // Our own timer: undici's timeouts tick in half seconds.
    const timer = setTimeout(() => {
      timedOut = true;
      abortCurrent?.();
    }, options.timeoutMs);
    const handler: Dispatcher.DispatchHandler = {
      onConnect: (abort) => {
        abortCurrent = abort;
        if (clientGone || timedOut) abort();
      },
      onHeaders: (status, rawHeaders, resume) => {
        clearTimeout(timer);
        responded = true;
        resumeUpstream = resume;
        if (status >= 500) pool.reportFailure(instance);
        else pool.reportSuccess(instance);
        const names = new Array<string>(rawHeaders.length);
        for (let i = 0; i < rawHeaders.length; i++) names[i] = rawHeaders[i]!.toString('latin1');
        res.writeHead(status, clientResponseHeaders(names, exchange.gatewayHeaders));
        return true;
      },
      // false pauses the upstream until the client's socket drains.
      onData: (chunk) => res.write(chunk),
      onComplete: () => void res.end(),
      onError: (err: Error & { code?: string }) => {
        clearTimeout(timer);
        if (clientGone) {
          exchange.onError('client_abort');
          return;
        }
        if (responded) {
          // Mid-body failure: the status line is out, so all that is left is to cut the response.
          exchange.onError('reset', err);
          res.destroy();
          return;
        }
        if (tooLarge || err instanceof BodyTooLarge) return;
        pool.reportFailure(instance);
        if (timedOut) {
          exchange.onError('timeout');
          exchange.fail(new AppError('UPSTREAM_TIMEOUT', `${pool.service} did not answer within ${options.timeoutMs} ms`));
          return;
        }
        const connectFailure = err.code !== undefined && CONNECT_ERRORS.has(err.code);
        exchange.onError(connectFailure ? 'connect' : 'reset', err);
        if (retryable && n < options.maxAttempts) {
          const next = pool.pick(instance);
          if (next !== undefined) {
            attempt(next, n + 1);
            return;
          }
        }
        exchange.fail(
          connectFailure
            ? new AppError('UPSTREAM_UNAVAILABLE', `no instance of ${pool.service} could be reached`)
            : new AppError('BAD_GATEWAY', `${pool.service} closed the connection`),
        );
      },
    };
    // The start of the response is timed above; a started body may take its time, but not stall forever.
    pool.agent.dispatch({ origin: instance.url, path, method: method as Dispatcher.HttpMethod, headers, body, headersTimeout: 0, bodyTimeout: BODY_IDLE_TIMEOUT_MS }, handler);
  };

  const first = pool.pick();
  if (first === undefined) {
    exchange.onError('no_instance');
    exchange.fail(new AppError('UPSTREAM_UNAVAILABLE', `no healthy instance of ${pool.service}`));
    return;
  }
  attempt(first, 1);
}
