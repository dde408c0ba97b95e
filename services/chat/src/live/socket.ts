import type { WebSocket } from 'ws';
import type { UserPrincipal } from '@realchat/auth-verify';
import { AppError } from '@realchat/errors';
import { CloseCode, LiveSocket, type SocketRegistry, type Transport } from '@realchat/live-socket';
import type { ChatContext } from '../context.js';
import type { LiveFrame, LiveHub, Messaging, People, SendInput } from '../domain/types.js';
import { ChatErrors } from '../errors.js';
import { clientFrames, type ClientFrame } from './frames.js';
import type { LocalSocket } from './hub.js';
import type { Presence } from './presence.js';

/** One `typing` per conversation per socket per this long; the others are dropped. */
const TYPING_INTERVAL_MS = 1_000;
/** Messages fetched per query while replaying a resume. */
const RESUME_PAGE = 100;
/** Sends of one socket waiting for their commit; the next `message.send` waits for a place (its frames queue behind it). */
const SEND_WINDOW = 32;
/** Bound on the seqs remembered to avoid sending a message twice (forgotten all at once past it). */
const MAX_REMEMBERED_SEQS = 4_096;

/** What a socket needs from the endpoint that holds it. */
export interface SocketHost {
  readonly context: ChatContext;
  readonly messaging: Messaging;
  readonly people: People;
  readonly hub: LiveHub;
  readonly presence: Presence;
  /** The endpoint's socket registry (revocations); none in unit tests. */
  readonly registry?: SocketRegistry;
  /** The connection under the socket; none in unit tests. */
  readonly transport?: Transport;
  /** The socket authenticated (first time: `previous` undefined) or swapped its token. */
  authenticated(socket: ChatSocket, previous: UserPrincipal | undefined): void;
  closed(socket: ChatSocket, principal: UserPrincipal | undefined): void;
}

const droppable = (frame: LiveFrame): boolean => frame.type === 'typing' || frame.type === 'presence';

/**
 * One `/chat/ws` connection: a live socket (authentication, ordering, backpressure) with chat's
 * frames, resume, and typing.
 */
export class ChatSocket extends LiveSocket<ClientFrame> implements LocalSocket {
  readonly #host: SocketHost;
  /** Live frames held while a resume replays (sent after it, without what it replayed). */
  #held: Array<{ frame: LiveFrame; data: Buffer }> | undefined;
  /** Per conversation, the seqs of the `message.new` frames sent: none goes out twice. */
  readonly #sent = new Map<string, Set<number>>();
  #sentCount = 0;
  readonly #typingAt = new Map<string, number>();
  /** Sends queued and not yet acked (or failed). */
  #sending = 0;
  /** Resolved when a send of a full window settles. */
  #windowFreed: (() => void) | undefined;

  constructor(ws: WebSocket, host: SocketHost) {
    const { clock, logger, env, authentication } = host.context;
    super(ws, { clock, logger, authentication, authTimeoutMs: env.CHAT_AUTH_TIMEOUT_MS, queueMax: env.CHAT_SOCKET_QUEUE_MAX, frames: clientFrames, registry: host.registry, transport: host.transport });
    this.#host = host;
  }

  /** A live frame from the hub for this socket's user. */
  push(frame: LiveFrame, data: Buffer): void {
    if (this.closing || this.principal === undefined) return;
    if (this.#held !== undefined) {
      // A typing signal would be stale by the time the replay ends.
      if (frame.type === 'typing') return;
      if (this.#held.length >= this.#host.context.env.CHAT_SOCKET_QUEUE_MAX) this.close(CloseCode.TOO_SLOW, 'send queue full');
      else this.#held.push({ frame, data });
      return;
    }
    if (frame.type === 'message.new' && !this.#remember(frame.message.conversationId, frame.message.seq)) return;
    this.sendData(data, droppable(frame));
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

  protected override onAuthenticated(previous: UserPrincipal | undefined): void {
    this.#host.authenticated(this, previous);
  }

  protected override async afterReady(previous: UserPrincipal | undefined): Promise<void> {
    if (previous !== undefined) return;
    const { presence } = this.#host;
    await presence.connected(this.userId);
    for (const frame of await presence.onlineFriends(this.userId)) this.push(frame, Buffer.from(JSON.stringify(frame)));
  }

  protected override onClosed(principal: UserPrincipal | undefined): void {
    this.#held = undefined;
    this.#host.closed(this, principal);
  }

  protected override async handleFrame(frame: ClientFrame, principal: UserPrincipal, ref: string | undefined): Promise<void> {
    const { messaging } = this.#host;
    const userId = principal.userId;
    switch (frame.type) {
      case 'message.send':
        return this.#send({ conversationId: frame.conversationId, senderId: userId, clientMsgId: frame.clientMsgId, body: frame.body }, ref);
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

  /**
   * Queues the send and lets the next frame in while its rate check and commit run: a socket's
   * sends share batches (its acks come in its order, as its seqs do), up to SEND_WINDOW at once.
   */
  async #send(input: SendInput, ref: string | undefined): Promise<void> {
    while (this.#sending >= SEND_WINDOW) await new Promise<void>((resolve) => (this.#windowFreed = resolve));
    this.#sending++;
    this.#host.messaging
      .queue(input)
      .then(({ done }) => done)
      .then(
        ({ message }) => this.sendFrame({ type: 'message.ack', clientMsgId: message.clientMsgId, id: message.id, seq: message.seq, createdAt: message.createdAt }),
        (err: unknown) => this.reportFailure(err, ref),
      )
      .finally(() => {
        this.#sending--;
        const freed = this.#windowFreed;
        this.#windowFreed = undefined;
        freed?.();
      });
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
        while (left > 0 && !this.closing) {
          const page = await messaging.messagesAfter(userId, conversationId, cursor, Math.min(left, RESUME_PAGE));
          for (const message of page) {
            if (this.#remember(conversationId, message.seq)) this.sendFrame({ type: 'message.new', message });
          }
          const newest = page.at(-1);
          if (newest === undefined) break;
          cursor = newest.seq;
          left -= page.length;
        }
      }
      this.sendFrame({ type: 'resumed', conversations: [...memberships].map(([id, lastSeq]) => ({ id, lastSeq })), truncated });
    } finally {
      const held = this.#held;
      this.#held = undefined;
      for (const { frame, data } of held) this.push(frame, data);
    }
  }
}
