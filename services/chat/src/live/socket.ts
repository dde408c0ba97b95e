import type { WebSocket } from 'ws';
import type { UserPrincipal } from '@realchat/auth-verify';
import type { TimerHandle } from '@realchat/clock';
import { AppError, isAppError } from '@realchat/errors';
import type { ChatContext } from '../context.js';
import type { LiveFrame, LiveHub, Messaging, People } from '../domain/types.js';
import { ChatErrors } from '../errors.js';
import { parseClientFrame, type ClientFrame } from './frames.js';
import type { LocalSocket } from './hub.js';
import type { Presence } from './presence.js';

/** Close codes of `/chat/ws` (the brief's protocol decisions). */
export const CloseCode = {
  UNAUTHENTICATED: 4401,
  OTHER_USER: 4409,
  TOO_SLOW: 4008,
  RESTARTING: 1012,
} as const;

/** Bytes `ws` may hold unsent before frames wait in the socket's own bounded queue. */
const HIGH_WATER_BYTES = 256 * 1024;
/** Client frames waiting for the one being handled; past it they are refused (RATE_LIMITED). */
const MAX_PENDING_FRAMES = 64;
/** One `typing` per conversation per socket per this long; the others are dropped. */
const TYPING_INTERVAL_MS = 1_000;
/** Messages fetched per query while replaying a resume. */
const RESUME_PAGE = 100;
/** Bound on the seqs remembered to avoid sending a message twice (forgotten all at once past it). */
const MAX_REMEMBERED_SEQS = 4_096;

/** What a socket needs from the endpoint that holds it. */
export interface SocketHost {
  readonly context: ChatContext;
  readonly messaging: Messaging;
  readonly people: People;
  readonly hub: LiveHub;
  readonly presence: Presence;
  /** The socket authenticated (first time: `previous` undefined) or swapped its token. */
  authenticated(socket: ChatSocket, previous: UserPrincipal | undefined): void;
  closed(socket: ChatSocket, principal: UserPrincipal | undefined): void;
}

interface Outgoing {
  readonly data: Buffer;
  /** Typing and presence: dropped first when the socket falls behind. */
  readonly droppable: boolean;
}

const droppable = (frame: LiveFrame): boolean => frame.type === 'typing' || frame.type === 'presence';

/**
 * One `/chat/ws` connection: authentication and its expiry, client frames (handled one at a
 * time, in order), resume, and a bounded send queue.
 */
export class ChatSocket implements LocalSocket {
  readonly #ws: WebSocket;
  readonly #host: SocketHost;
  #principal: UserPrincipal | undefined;
  #closing = false;
  #authTimer: TimerHandle | undefined;
  #expiryTimer: TimerHandle | undefined;
  readonly #queue: Outgoing[] = [];
  #work: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Live frames held while a resume replays (sent after it, without what it replayed). */
  #held: Array<{ frame: LiveFrame; data: Buffer }> | undefined;
  /** Per conversation, the seqs of the `message.new` frames sent: none goes out twice. */
  readonly #sent = new Map<string, Set<number>>();
  #sentCount = 0;
  readonly #typingAt = new Map<string, number>();
  /** Liveness: a ping went out (and was flushed) with no pong since. */
  #awaitingPong = false;
  #pingFlushed = false;
  /** Resolves once the connection is closed. */
  readonly done: Promise<void>;

  constructor(ws: WebSocket, host: SocketHost) {
    this.#ws = ws;
    this.#host = host;
    const { clock, env } = host.context;
    this.#authTimer = clock.setTimeout(() => this.close(CloseCode.UNAUTHENTICATED, 'no valid auth in time'), env.CHAT_AUTH_TIMEOUT_MS);
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

  get userId(): string {
    return this.#principal?.userId ?? '';
  }

  get principal(): UserPrincipal | undefined {
    return this.#principal;
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

  /** A live frame from the hub for this socket's user. */
  push(frame: LiveFrame, data: Buffer): void {
    if (this.#closing || this.#principal === undefined) return;
    if (this.#held !== undefined) {
      // A typing signal would be stale by the time the replay ends.
      if (frame.type === 'typing') return;
      if (this.#held.length >= this.#host.context.env.CHAT_SOCKET_QUEUE_MAX) this.close(CloseCode.TOO_SLOW, 'send queue full');
      else this.#held.push({ frame, data });
      return;
    }
    if (frame.type === 'message.new' && !this.#remember(frame.message.conversationId, frame.message.seq)) return;
    this.#enqueue({ data, droppable: droppable(frame) });
  }

  #send(frame: { readonly type: string } & Record<string, unknown>): void {
    this.#enqueue({ data: Buffer.from(JSON.stringify(frame)), droppable: false });
  }

  #error(code: string, ref: string | undefined): void {
    this.#send(ref === undefined ? { type: 'error', code } : { type: 'error', code, ref });
  }

  /** Sends at once while `ws` keeps up; else queues, bounded: typing and presence go first, then the socket (4008). */
  #enqueue(out: Outgoing): void {
    if (this.#closing) return;
    if (this.#queue.length === 0 && this.#ws.bufferedAmount < HIGH_WATER_BYTES) {
      this.#write(out.data);
      return;
    }
    const max = this.#host.context.env.CHAT_SOCKET_QUEUE_MAX;
    if (out.droppable && this.#queue.length >= max / 2) return;
    if (this.#queue.length >= max) {
      const victim = this.#queue.findIndex((o) => o.droppable);
      if (victim === -1) {
        this.close(CloseCode.TOO_SLOW, 'send queue full');
        return;
      }
      this.#queue.splice(victim, 1);
    }
    this.#queue.push(out);
  }

  #write(data: Buffer): void {
    this.#ws.send(data, { binary: false }, (err) => {
      if (err === undefined || err === null) this.#drain();
    });
  }

  #drain(): void {
    while (!this.#closing && this.#queue.length > 0 && this.#ws.bufferedAmount < HIGH_WATER_BYTES) this.#write(this.#queue.shift()!.data);
  }

  /** False when this message was sent on this socket already. */
  #remember(conversationId: string, seq: number): boolean {
    let seqs = this.#sent.get(conversationId);
    if (seqs?.has(seq) === true) return false;
    if (this.#sentCount >= MAX_REMEMBERED_SEQS) {
      this.#sent.clear();
      this.#sentCount = 0;
      seqs = undefined;
    }
    if (seqs === undefined) this.#sent.set(conversationId, (seqs = new Set()));
    seqs.add(seq);
    this.#sentCount++;
    return true;
  }

  #receive(text: string | undefined): void {
    if (this.#closing) return;
    const parsed = text === undefined ? ({ ok: false, ref: undefined } as const) : parseClientFrame(text);
    if (!parsed.ok) {
      this.#error('BAD_FRAME', parsed.ref);
      return;
    }
    if (this.#pending >= MAX_PENDING_FRAMES) {
      this.#error('RATE_LIMITED', parsed.ref);
      return;
    }
    this.#pending++;
    this.#work = this.#work
      .then(() => this.#handle(parsed.frame, parsed.ref))
      .catch((err: unknown) => this.#failed(err, parsed.ref))
      .finally(() => this.#pending--);
  }

  #failed(err: unknown, ref: string | undefined): void {
    if (isAppError(err)) {
      if (err.status >= 500) this.#host.context.logger.warn({ err }, 'socket frame failed');
      this.#error(err.code, ref);
      return;
    }
    this.#host.context.logger.error({ err }, 'socket frame failed');
    this.#error('INTERNAL', ref);
  }

  async #handle(frame: ClientFrame, ref: string | undefined): Promise<void> {
    if (this.#closing) return;
    if (frame.type === 'auth') return this.#auth(frame.token);
    if (frame.type === 'ping') return this.#send({ type: 'pong' });
    const principal = this.#principal;
    if (principal === undefined) return this.#error('NOT_AUTHENTICATED', ref);
    const { messaging } = this.#host;
    const userId = principal.userId;
    switch (frame.type) {
      case 'message.send': {
        const message = await messaging.send({ conversationId: frame.conversationId, senderId: userId, clientMsgId: frame.clientMsgId, body: frame.body });
        this.#send({ type: 'message.ack', clientMsgId: message.clientMsgId, id: message.id, seq: message.seq, createdAt: message.createdAt });
        return;
      }
      case 'typing':
        return this.#typing(userId, frame.conversationId);
      case 'read':
        await messaging.markRead(userId, frame.conversationId, frame.seq);
        return;
      case 'delivered':
        await messaging.markDelivered(userId, frame.conversationId, frame.seq);
        return;
      case 'resume':
        return this.#resume(userId, frame.cursors);
    }
  }

  async #auth(token: string): Promise<void> {
    const { authentication } = this.#host.context;
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
    const { clock } = this.#host.context;
    this.#expiryTimer = clock.setTimeout(() => this.close(CloseCode.UNAUTHENTICATED, 'token expired'), principal.expiresAt.getTime() - clock.now().getTime());
    this.#host.authenticated(this, previous);
    this.#send({ type: 'ready', userId: principal.userId, sessionId: principal.sessionId });
    if (previous !== undefined) return;
    const { presence } = this.#host;
    await presence.connected(principal.userId);
    for (const frame of await presence.onlineFriends(principal.userId)) this.push(frame, Buffer.from(JSON.stringify(frame)));
  }

  async #typing(userId: string, conversationId: string): Promise<void> {
    const now = this.#host.context.clock.now().getTime();
    const last = this.#typingAt.get(conversationId);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return;
    if (this.#typingAt.size >= 256) this.#typingAt.clear();
    this.#typingAt.set(conversationId, now);
    const others = (await this.#host.messaging.membersOf(userId, conversationId)).filter((id) => id !== userId);
    // Between two people a block silences typing as it refuses messages.
    if (others.length === 1 && (await this.#host.people.blockedBetween(userId, others[0]!))) throw new AppError(ChatErrors.BLOCKED, 'one of you blocked the other');
    this.#host.hub.deliver(others, { type: 'typing', conversationId, userId });
  }

  async #resume(userId: string, cursors: Readonly<Record<string, number>>): Promise<void> {
    const { messaging, context } = this.#host;
    this.#held = [];
    try {
      const memberships = await messaging.memberships(userId);
      let budget = context.env.CHAT_RESUME_MAX_MESSAGES;
      const truncated: string[] = [];
      const plan: Array<{ conversationId: string; after: number; missed: number }> = [];
      for (const [conversationId, after] of Object.entries(cursors)) {
        const last = memberships.get(conversationId);
        if (last === undefined || last <= after) continue;
        const missed = last - after;
        if (missed > budget) {
          truncated.push(conversationId);
          continue;
        }
        budget -= missed;
        plan.push({ conversationId, after, missed });
      }
      for (const { conversationId, after, missed } of plan) {
        let cursor = after;
        let left = missed;
        while (left > 0 && !this.#closing) {
          const page = await messaging.messagesAfter(userId, conversationId, cursor, Math.min(left, RESUME_PAGE));
          for (const message of page) {
            if (this.#remember(conversationId, message.seq)) this.#send({ type: 'message.new', message });
          }
          const newest = page.at(-1);
          if (newest === undefined) break;
          cursor = newest.seq;
          left -= page.length;
        }
      }
      this.#send({ type: 'resumed', conversations: [...memberships].map(([id, lastSeq]) => ({ id, lastSeq })), truncated });
    } finally {
      const held = this.#held;
      this.#held = undefined;
      for (const { frame, data } of held) this.push(frame, data);
    }
  }

  #closed(): void {
    this.#closing = true;
    this.#queue.length = 0;
    this.#held = undefined;
    this.#authTimer?.clear();
    this.#expiryTimer?.clear();
    this.#host.closed(this, this.#principal);
  }
}
