import type { LiveContext } from '../client.js';
import type { TimerHandle } from '../clock.js';
import type { WebSocketLike } from '../platform.js';

/** Close codes the live endpoints use (ARCHITECTURE.md §8). */
export const CloseCode = {
  NORMAL: 1000,
  /** No valid token in time, the token expired, or the session was revoked. */
  UNAUTHENTICATED: 4401,
  /** An `auth` frame named another user than the socket's. */
  OTHER_USER: 4409,
} as const;

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why a live client stopped for good. */
export type StopReason = 'closed' | 'signed-out' | 'other-user';

/** A frame from the server, as far as this layer reads it. */
export interface ServerFrame {
  readonly type: string;
}

export interface LiveSocketHandlers<Frame extends ServerFrame> {
  /** Authenticated on a new connection (not after a token swap): resume, resend. */
  ready(): void;
  frame(frame: Frame): void;
  state(state: LiveState): void;
  stopped(reason: StopReason): void;
}

/** Backoff: full jitter over an exponential ceiling (AWS's "full jitter"). */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A ping this often while open; a connection silent for a whole interval after one is dead. */
const HEARTBEAT_MS = 30_000;
/** The `ref` of our `auth` frames: an `error` carrying it is about the token. */
const AUTH_REF = 'auth';

/**
 * One authenticated WebSocket to a live endpoint that stays up: `auth` first, the token swapped
 * in after each refresh, reconnects with backoff, a heartbeat, and a stop when the session ends.
 * The protocol of the endpoint (chat, notifications) sits on top, through `handlers`.
 */
export class LiveSocket<Frame extends ServerFrame, ClientFrame extends { readonly type: string }> {
  readonly #context: LiveContext;
  readonly #url: string;
  readonly #handlers: LiveSocketHandlers<Frame>;
  readonly #unsubscribe: Array<() => void>;
  #ws: WebSocketLike | undefined;
  #state: LiveState = 'connecting';
  #authenticated = false;
  /** The token the last `auth` frame carried. */
  #token: string | undefined;
  #attempt = 0;
  #timer: TimerHandle | undefined;
  #heardSincePing = true;

  constructor(context: LiveContext, path: string, handlers: LiveSocketHandlers<Frame>) {
    this.#context = context;
    this.#url = context.baseUrl.replace(/^http/, 'ws') + path;
    this.#handlers = handlers;
    this.#unsubscribe = [
      context.session.on('tokens', ({ accessToken }) => {
        if (this.#authenticated && accessToken !== this.#token) this.#auth(accessToken);
      }),
      context.session.on('signedOut', () => this.#stop('signed-out')),
    ];
    void this.#connect();
  }

  get state(): LiveState {
    return this.#state;
  }

  /** Whether a frame sent now goes out on an authenticated connection. */
  get ready(): boolean {
    return this.#authenticated && this.#ws !== undefined;
  }

  /** Sends `frame` if the connection is ready; false otherwise (the caller keeps or drops it). */
  send(frame: ClientFrame | { readonly type: 'ping' }): boolean {
    if (!this.ready) return false;
    this.#ws!.send(JSON.stringify(frame));
    return true;
  }

  close(): void {
    this.#stop('closed');
  }

  async #connect(): Promise<void> {
    let token: string | undefined;
    try {
      token = await this.#context.session.token();
    } catch {
      // Auth unreachable: try again later, the access token may still be refreshed in time.
      this.#retry();
      return;
    }
    if (this.#state === 'closed') return;
    if (token === undefined) return this.#stop('signed-out');
    let ws: WebSocketLike;
    try {
      ws = new this.#context.WebSocket(this.#url);
    } catch {
      this.#retry();
      return;
    }
    this.#ws = ws;
    this.#authenticated = false;
    ws.onopen = () => this.#auth(token);
    ws.onmessage = (event) => this.#receive(event.data);
    ws.onerror = () => undefined; // A close event follows; it decides.
    ws.onclose = (event) => void this.#lost(ws, event.code);
  }

  #auth(token: string): void {
    this.#token = token;
    this.#ws?.send(JSON.stringify({ type: 'auth', token, ref: AUTH_REF }));
  }

  #receive(data: unknown): void {
    this.#heardSincePing = true;
    if (typeof data !== 'string') return;
    let frame: Frame & { readonly ref?: unknown };
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    if (frame.type === 'ready') {
      if (this.#authenticated) return; // A token swap, accepted.
      this.#authenticated = true;
      this.#attempt = 0;
      this.#setState('open');
      this.#heartbeat();
      // Refreshed while this connection authenticated with the older token.
      const current = this.#context.session.accessToken;
      if (current !== undefined && current !== this.#token) this.#auth(current);
      this.#handlers.ready();
      return;
    }
    if (frame.type === 'error' && frame.ref === AUTH_REF) {
      // The token was refused (expired on the way, revoked): a newer one, if the session lives.
      void this.#context.session.refresh(this.#token).then(
        (fresh) => (fresh === undefined ? this.#stop('signed-out') : fresh !== this.#token && this.#auth(fresh)),
        () => this.#drop(),
      );
      return;
    }
    this.#handlers.frame(frame);
  }

  #heartbeat(): void {
    this.#timer?.clear();
    this.#heardSincePing = true;
    const tick = (): void => {
      if (!this.#heardSincePing) return this.#drop();
      this.#heardSincePing = false;
      this.send({ type: 'ping' });
      this.#timer = this.#context.clock.setTimeout(tick, HEARTBEAT_MS);
    };
    this.#timer = this.#context.clock.setTimeout(tick, HEARTBEAT_MS);
  }

  /** Gives up on the current connection without waiting for its closing handshake (it may never come). */
  #drop(): void {
    const ws = this.#ws;
    if (ws === undefined) return;
    this.#detach(ws);
    ws.close();
    void this.#lost(ws, 1006);
  }

  async #lost(ws: WebSocketLike, code: number): Promise<void> {
    if (ws !== this.#ws || this.#state === 'closed') return;
    this.#detach(ws);
    this.#ws = undefined;
    this.#authenticated = false;
    this.#timer?.clear();
    if (code === CloseCode.OTHER_USER) return this.#stop('other-user');
    if (code === CloseCode.UNAUTHENTICATED) {
      // Expired or revoked: a refresh tells which (a revoked session's refresh is refused).
      const fresh = await this.#context.session.refresh(this.#token).catch(() => this.#token);
      if (fresh === undefined) return this.#stop('signed-out');
    }
    this.#retry();
  }

  #retry(): void {
    if (this.#state === 'closed') return;
    this.#setState('reconnecting');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.#attempt);
    this.#attempt++;
    this.#timer?.clear();
    this.#timer = this.#context.clock.setTimeout(() => void this.#connect(), this.#context.random() * ceiling);
  }

  #detach(ws: WebSocketLike): void {
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Not null: an implementation built on an EventEmitter (`ws`) throws an `error` nobody listens to.
    ws.onerror = () => undefined;
  }

  #stop(reason: StopReason): void {
    if (this.#state === 'closed') return;
    this.#timer?.clear();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    const ws = this.#ws;
    this.#ws = undefined;
    this.#authenticated = false;
    if (ws !== undefined) {
      this.#detach(ws);
      ws.close(CloseCode.NORMAL);
    }
    this.#setState('closed');
    this.#handlers.stopped(reason);
  }

  #setState(state: LiveState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#handlers.state(state);
  }
}
