import type { WebSocket } from 'ws';
import type { Authentication, UserPrincipal } from '@realchat/auth-verify';
import type { Clock, TimerHandle } from '@realchat/clock';
import { AppError, isAppError } from '@realchat/errors';
import type { Logger } from '@realchat/logging';
import type { BaseFrame, FrameParser } from './frames.js';

/** Close codes of a live socket (ARCHITECTURE.md §8). */
export const CloseCode = {
  /** No valid `auth` in time, token expired without a replacement, session or token revoked. */
  UNAUTHENTICATED: 4401,
  /** An `auth` swap named another user. */
  OTHER_USER: 4409,
  /** The send queue overflowed: reconnect and resume. */
  TOO_SLOW: 4008,
  /** The server is stopping: reconnect (to another instance). */
  RESTARTING: 1012,
} as const;

/** Bytes `ws` may hold unsent before frames wait in the socket's own bounded queue. */
const HIGH_WATER_BYTES = 256 * 1024;
/** Client frames waiting for the one being handled; past it they are refused (RATE_LIMITED). */
const MAX_PENDING_FRAMES = 64;

/** Where the endpoint holding a socket hears of its authentication and its end (see createLiveEndpoint). */
export interface SocketRegistry {
  authenticated(socket: LiveSocket, previous: UserPrincipal | undefined): void;
  closed(socket: LiveSocket, principal: UserPrincipal | undefined): void;
}

/**
 * The connection under the WebSocket (the upgrade request's socket). A socket's frames of one
 * tick leave in one write, and a frame several sockets send is encoded once and written as it is.
 */
export interface Transport {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean;
}

/** `ws`'s readyState of an open socket. */
const OPEN = 1;

/** The encoded frames of payloads still referenced: a fan-out's payload is framed once for every socket. */
const framed = new WeakMap<Buffer, Buffer>();

/**
 * `payload` as an unmasked, unfragmented, uncompressed text frame (RFC 6455 §5.2), as `ws` sends
 * it from a server without permessage-deflate (the endpoints' WebSocketServer never enables it).
 */
export function textFrame(payload: Buffer): Buffer {
  const cached = framed.get(payload);
  if (cached !== undefined) return cached;
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = n;
  else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, header);
  framed.set(payload, frame);
  return frame;
}

/** The transports corked in this tick, uncorked together at its end. */
const corked: Transport[] = [];
/** Counts the ticks in which a transport was corked: a socket corks once per tick. */
let tick = 0;

function endTick(): void {
  tick++;
  for (const transport of corked.splice(0)) transport.uncork();
}

export interface LiveSocketOptions<F> {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly authentication: Pick<Authentication, 'verifier' | 'revocations'>;
  /** Time a new socket has to send a valid `auth`. */
  readonly authTimeoutMs: number;
  /** Frames queued behind a slow client before the socket is closed (4008). */
  readonly queueMax: number;
  readonly frames: FrameParser<F>;
  /** The endpoint holding the socket; none when a test holds it alone. */
  readonly registry?: SocketRegistry | undefined;
  /** The connection `ws` writes to (the upgrade request's socket); none when a test holds the socket alone. */
  readonly transport?: Transport | undefined;
}

interface Outgoing {
  readonly data: Buffer;
  /** Dropped first when the socket falls behind (chat's typing and presence). */
  readonly droppable: boolean;
}

/**
 * One authenticated live connection: the `auth` frame (answered by `ready`, later ones swap the
 * token), 4401 at the auth timeout or the token's expiry, `ping`/`pong`, heartbeat reaping, a
 * bounded send queue (4008), and client frames handled one at a time, in order, with `error`
 * frames for what fails. A service extends it with its own frames (`handleFrame`).
 */
export abstract class LiveSocket<F extends { readonly type: string } = { readonly type: string }> {
  readonly #ws: WebSocket;
  readonly #options: LiveSocketOptions<F>;
  #principal: UserPrincipal | undefined;
  #closing = false;
  #authTimer: TimerHandle | undefined;
  #expiryTimer: TimerHandle | undefined;
  readonly #queue: Outgoing[] = [];
  #work: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Liveness: a ping went out (and was flushed) with no pong since. */
  #awaitingPong = false;
  #pingFlushed = false;
  /** The tick in which the transport was last corked (it is uncorked at its end). */
  #corkedTick = -1;
  /** Resolves once the connection is closed. */
  readonly done: Promise<void>;

  constructor(ws: WebSocket, options: LiveSocketOptions<F>) {
    this.#ws = ws;
    this.#options = options;
    this.#authTimer = options.clock.setTimeout(() => this.close(CloseCode.UNAUTHENTICATED, 'no valid auth in time'), options.authTimeoutMs);
    ws.on('message', (data, isBinary) => this.#receive(isBinary ? undefined : String(data)));
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    this.done = new Promise((resolve) => {
      ws.on('close', () => {
        this.#closed();
        resolve();
      });
    });
  }

  /** A service frame from an authenticated socket; a throw becomes an `error` frame (an AppError's code, else INTERNAL). */
  protected abstract handleFrame(frame: F, principal: UserPrincipal, ref: string | undefined): Promise<void>;

  /** The socket authenticated (`previous` undefined) or swapped its token; runs before `ready` goes out. */
  protected onAuthenticated(_previous: UserPrincipal | undefined): void {}

  /** After `ready` went out, in the frame queue (a throw is an `error` frame). */
  protected async afterReady(_previous: UserPrincipal | undefined): Promise<void> {}

  /** The connection closed; `principal` is undefined when it never authenticated. */
  protected onClosed(_principal: UserPrincipal | undefined): void {}

  get userId(): string {
    return this.#principal?.userId ?? '';
  }

  get principal(): UserPrincipal | undefined {
    return this.#principal;
  }

  /** True once closing: nothing more is sent. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Closes the socket with `code`; nothing is sent after it. */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#queue.length = 0;
    this.#ws.close(code, reason);
  }

  /** Cuts the connection without a closing handshake (a client that does not answer it). */
  terminate(): void {
    this.#ws.terminate();
  }

  /** Called every ping interval: reaps a socket that did not answer the last ping, else pings it. */
  heartbeat(): void {
    if (this.#closing) return;
    if (this.#awaitingPong) {
      // A ping not yet written out proves nothing (the clock may have jumped within one tick).
      if (this.#pingFlushed) this.#ws.terminate();
      return;
    }
    this.#awaitingPong = true;
    this.#pingFlushed = false;
    try {
      this.#ws.ping(undefined, undefined, (err) => {
        if (err === undefined || err === null) this.#pingFlushed = true;
      });
    } catch {
      this.#ws.terminate();
    }
  }

  /** Sends a frame (serialised here). */
  protected sendFrame(frame: { readonly type: string } & Record<string, unknown>): void {
    this.sendData(Buffer.from(JSON.stringify(frame)), false);
  }

  protected sendError(code: string, ref: string | undefined): void {
    this.sendFrame(ref === undefined ? { type: 'error', code } : { type: 'error', code, ref });
  }

  /**
   * Sends at once while `ws` keeps up; else queues, bounded: droppable frames go first (not even
   * queued past half the bound), then the socket (4008). `data` is UTF-8 JSON, never modified.
   */
  protected sendData(data: Buffer, droppable: boolean): void {
    if (this.#closing) return;
    if (this.#queue.length === 0 && this.#ws.bufferedAmount < HIGH_WATER_BYTES) {
      this.#write(data);
      return;
    }
    const max = this.#options.queueMax;
    if (droppable && this.#queue.length >= max / 2) return;
    if (this.#queue.length >= max) {
      const victim = this.#queue.findIndex((o) => o.droppable);
      if (victim === -1) {
        this.close(CloseCode.TOO_SLOW, 'send queue full');
        return;
      }
      this.#queue.splice(victim, 1);
    }
    this.#queue.push({ data, droppable });
  }

  #write(data: Buffer): void {
    const transport = this.#options.transport;
    // ws sends a closing socket's frames nowhere but into an error: only an open one is written directly.
    if (transport === undefined || this.#ws.readyState !== OPEN) {
      this.#ws.send(data, { binary: false }, (err) => {
        if (err === undefined || err === null) this.#drain();
      });
      return;
    }
    if (this.#corkedTick !== tick) {
      // A batch's fan-out, or an echo and its ack, gives a socket several frames in one tick: one system call for them all.
      this.#corkedTick = tick;
      transport.cork();
      if (corked.push(transport) === 1) process.nextTick(endTick);
    }
    // The same bytes ws would write, built once per payload; ws writes its own frames (pings, close) to this transport in order with them.
    transport.write(textFrame(data), (err) => {
      if (err === undefined || err === null) this.#drain();
    });
  }

  #drain(): void {
    while (!this.#closing && this.#queue.length > 0 && this.#ws.bufferedAmount < HIGH_WATER_BYTES) this.#write(this.#queue.shift()!.data);
  }

  #receive(text: string | undefined): void {
    if (this.#closing) return;
    const parsed = text === undefined ? ({ ok: false, ref: undefined } as const) : this.#options.frames.parse(text);
    if (!parsed.ok) {
      this.sendError('BAD_FRAME', parsed.ref);
      return;
    }
    if (this.#pending >= MAX_PENDING_FRAMES) {
      this.sendError('RATE_LIMITED', parsed.ref);
      return;
    }
    this.#pending++;
    this.#work = this.#work
      .then(() => this.#handle(parsed.frame, parsed.ref))
      .catch((err: unknown) => this.reportFailure(err, parsed.ref))
      .finally(() => this.#pending--);
  }

  /** Answers a frame that failed with an `error` frame: an AppError's code, else INTERNAL (logged). */
  protected reportFailure(err: unknown, ref: string | undefined): void {
    if (isAppError(err)) {
      if (err.status >= 500) this.#options.logger.warn({ err }, 'socket frame failed');
      this.sendError(err.code, ref);
      return;
    }
    this.#options.logger.error({ err }, 'socket frame failed');
    this.sendError('INTERNAL', ref);
  }

  async #handle(frame: BaseFrame | F, ref: string | undefined): Promise<void> {
    if (this.#closing) return;
    if (isBase(frame)) {
      if (frame.type === 'auth') return this.#auth(frame.token);
      return this.sendFrame({ type: 'pong' });
    }
    const principal = this.#principal;
    if (principal === undefined) return this.sendError('NOT_AUTHENTICATED', ref);
    return this.handleFrame(frame, principal, ref);
  }

  async #auth(token: string): Promise<void> {
    const { authentication, clock } = this.#options;
    const principal = await authentication.verifier.verify(token);
    if (principal.kind !== 'user') throw new AppError('INSUFFICIENT_SCOPE', 'the socket is for user tokens');
    if (this.#closing) return;
    // Revoked while the verification was under way: the listener found no socket to close yet.
    if (authentication.revocations.isRevoked(principal.sessionId) || authentication.revocations.isTokenRevoked(principal.tokenId)) {
      this.close(CloseCode.UNAUTHENTICATED, 'session revoked');
      return;
    }
    const previous = this.#principal;
    if (previous !== undefined && previous.userId !== principal.userId) {
      this.close(CloseCode.OTHER_USER, 'the token names another user');
      return;
    }
    this.#principal = principal;
    this.#authTimer?.clear();
    this.#authTimer = undefined;
    this.#expiryTimer?.clear();
    this.#expiryTimer = clock.setTimeout(() => this.close(CloseCode.UNAUTHENTICATED, 'token expired'), principal.expiresAt.getTime() - clock.now().getTime());
    this.#options.registry?.authenticated(this, previous);
    this.onAuthenticated(previous);
    this.sendFrame({ type: 'ready', userId: principal.userId, sessionId: principal.sessionId });
    await this.afterReady(previous);
  }

  #closed(): void {
    this.#closing = true;
    this.#queue.length = 0;
    this.#authTimer?.clear();
    this.#expiryTimer?.clear();
    this.#options.registry?.closed(this, this.#principal);
    this.onClosed(this.#principal);
  }
}

const isBase = (frame: { readonly type: string }): frame is BaseFrame => frame.type === 'auth' || frame.type === 'ping';
