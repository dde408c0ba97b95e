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
  // Not destroyed when the limit stops the loop: the rest of the body is drained, not reset.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) {
      onTooLarge();
      throw new BodyTooLarge();
    }
    yield chunk;
  }
}

/** Refuses a body over the limit, whether Content-Length declared it or streaming found it. */
function failTooLarge(exchange: ProxyExchange, bodyLimit: number): void {
  exchange.onError('body_too_large');
  exchange.fail(new AppError('PAYLOAD_TOO_LARGE', `the body is larger than ${bodyLimit} bytes`));
}

/** An attempt's timer: a module function, so arming it allocates no closure. */
function onAttemptTimeout(request: ProxiedRequest): void {
  request.timeOut();
}

/**
 * One proxied request: its state and undici's callbacks live on one object rather than in
 * closures made per request (tsx, which runs the services, also names every such closure).
 * Attempts run one after another, so the per-attempt fields are reset by `attempt`.
 */
class ProxiedRequest implements Dispatcher.DispatchHandler {
  readonly #exchange: ProxyExchange;
  readonly #options: ProxyOptions;
  readonly #method: Dispatcher.HttpMethod;
  readonly #retryable: boolean;
  readonly #body: Readable | null;
  #clientGone = false;
  #tooLarge = false;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  // The current attempt.
  #instance: UpstreamInstance | undefined;
  #attempts = 0;
  #responded = false;
  #timedOut = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(exchange: ProxyExchange, options: ProxyOptions, withBody: boolean) {
    this.#exchange = exchange;
    this.#options = options;
    const method = exchange.req.method ?? 'GET';
    this.#method = method as Dispatcher.HttpMethod;
    this.#retryable = !withBody && IDEMPOTENT.has(method);
    this.#body = withBody ? Readable.from(limitedBody(exchange.req, options.bodyLimit, () => this.#bodyTooLarge()), { objectMode: false }) : null;
    const res = exchange.res;
    res.once('close', () => {
      if (res.writableFinished) return;
      this.#clientGone = true;
      this.#abort?.();
    });
    res.on('drain', () => this.#resume?.());
  }

  attempt(instance: UpstreamInstance): void {
    const { req, facts, pool } = this.#exchange;
    this.#instance = instance;
    this.#attempts++;
    this.#responded = false;
    this.#timedOut = false;
    // Our own timer: undici's timeouts tick in half seconds.
    this.#timer = setTimeout(onAttemptTimeout, this.#options.timeoutMs, this);
    const headers = upstreamRequestHeaders(req.rawHeaders, facts, `${instance.hostname}:${instance.port}`);
    // The start of the response is timed above; a started body may take its time, but not stall forever.
    pool.agent.dispatch({ origin: instance.url, path: req.url ?? '/', method: this.#method, headers, body: this.#body, headersTimeout: 0, bodyTimeout: BODY_IDLE_TIMEOUT_MS }, this);
  }

  timeOut(): void {
    this.#timedOut = true;
    this.#abort?.();
  }

  #bodyTooLarge(): void {
    this.#tooLarge = true;
    failTooLarge(this.#exchange, this.#options.bodyLimit);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#clientGone || this.#timedOut) abort();
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    clearTimeout(this.#timer);
    this.#responded = true;
    this.#resume = resume;
    const pool = this.#exchange.pool;
    if (status >= 500) pool.reportFailure(this.#instance!);
    else pool.reportSuccess(this.#instance!);
    const names = new Array<string>(rawHeaders.length);
    for (let i = 0; i < rawHeaders.length; i++) names[i] = rawHeaders[i]!.toString('latin1');
    this.#exchange.res.writeHead(status, clientResponseHeaders(names, this.#exchange.gatewayHeaders));
    return true;
  }

  /** false pauses the upstream until the client's socket drains. */
  onData(chunk: Buffer): boolean {
    return this.#exchange.res.write(chunk);
  }

  onComplete(): void {
    this.#exchange.res.end();
  }

  onError(err: Error & { code?: string }): void {
    clearTimeout(this.#timer);
    const { pool, res } = this.#exchange;
    const exchange = this.#exchange;
    if (this.#clientGone) {
      exchange.onError('client_abort');
      return;
    }
    if (this.#responded) {
      // Mid-body failure: the status line is out, so all that is left is to cut the response.
      exchange.onError('reset', err);
      res.destroy();
      return;
    }
    if (this.#tooLarge || err instanceof BodyTooLarge) return;
    const instance = this.#instance!;
    pool.reportFailure(instance);
    if (this.#timedOut) {
      exchange.onError('timeout');
      exchange.fail(new AppError('UPSTREAM_TIMEOUT', `${pool.service} did not answer within ${this.#options.timeoutMs} ms`));
      return;
    }
    const connectFailure = err.code !== undefined && CONNECT_ERRORS.has(err.code);
    exchange.onError(connectFailure ? 'connect' : 'reset', err);
    if (this.#retryable && this.#attempts < this.#options.maxAttempts) {
      const next = pool.pick(instance);
      if (next !== undefined) {
        this.attempt(next);
        return;
      }
    }
    exchange.fail(
      connectFailure
        ? new AppError('UPSTREAM_UNAVAILABLE', `no instance of ${pool.service} could be reached`)
        : new AppError('BAD_GATEWAY', `${pool.service} closed the connection`),
    );
  }
}

/**
 * Forwards one request to an instance of `pool` and streams the answer back (no buffering).
 * A request with a body is streamed once, so only body-less idempotent requests are retried on
 * another instance, and only when the failure came before any response.
 */
export function proxyRequest(exchange: ProxyExchange, options: ProxyOptions): void {
  const { pool, req } = exchange;
  const withBody = hasBody(req);
  if (withBody && Number(req.headers['content-length'] ?? 0) > options.bodyLimit) return failTooLarge(exchange, options.bodyLimit);
  const first = pool.pick();
  if (first === undefined) {
    exchange.onError('no_instance');
    exchange.fail(new AppError('UPSTREAM_UNAVAILABLE', `no healthy instance of ${pool.service}`));
    return;
  }
  new ProxiedRequest(exchange, options, withBody).attempt(first);
}
