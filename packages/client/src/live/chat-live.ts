import type { LiveContext } from '../client.js';
import type { TimerHandle } from '../clock.js';
import { RealChatError } from '../errors.js';
import { Emitter } from '../events.js';
import type { ChatClientFrame, ChatMessage, ChatPush, ChatServerFrame, MessageAck, Resumed } from './chat-frames.js';
import { LiveSocket, type LiveState, type StopReason } from './live-socket.js';

type PushEvents = { readonly [F in ChatPush as F['type']]: F };

/** What a ChatLive emits: the server's pushes by type (`message.new` in seq order, each once), and its own. */
export interface ChatLiveEvents extends PushEvents {
  readonly resumed: Resumed;
  readonly state: { readonly state: LiveState };
  /** A refused frame that no send awaits (typing in a blocked conversation, a bad read mark). */
  readonly error: { readonly code: string; readonly ref?: string };
  readonly stopped: { readonly reason: StopReason };
}

export interface ChatLiveOptions {
  /**
   * The last seq the app holds per conversation (from history it loaded): what is newer is
   * replayed on connect. Conversations left out start at their current last seq.
   */
  readonly cursors?: Readonly<Record<string, number>>;
}

interface QueuedSend {
  readonly frame: { readonly type: 'message.send'; readonly conversationId: string; readonly clientMsgId: string; readonly body: string };
  readonly resolve: (ack: MessageAck) => void;
  readonly reject: (err: RealChatError) => void;
  /** Written on the current connection and not answered yet. */
  sent: boolean;
}

/** Sends on the wire unanswered at once: under the server's 64 pending frames per socket. */
const MAX_IN_FLIGHT = 32;
/** The server's largest frame (64 KiB; past it the socket closes with 1009). */
const MAX_FRAME_BYTES = 64 * 1024;

/** A gap still held this long after its resume asks again (its answer may never come: a frame lost with a connection the client still thinks open). */
const GAP_RETRY_MS = 3_000;

const encoder = new TextEncoder();

/** A clientMsgId: 128 random bits (getRandomValues: also in pages not served over HTTPS, unlike randomUUID). */
function newClientMsgId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The live side of chat over `/chat/ws`: pushes as typed events, `message.new` per conversation
 * in seq order and never twice (a skipped seq triggers a `resume` that fills the gap), `resume`
 * from its cursors on each connection, and a send queue that survives reconnects (a resend
 * carries the same clientMsgId, so the server stores it once) resolving each send with its ack.
 */
export class ChatLive {
  readonly #events = new Emitter<ChatLiveEvents>();
  readonly #socket: LiveSocket<ChatServerFrame, ChatClientFrame>;
  /** Per conversation, the highest seq delivered with none missing below it. */
  readonly #cursors = new Map<string, number>();
  /** Messages past a gap, held until the gap is filled (or the resume says it cannot be). */
  readonly #held = new Map<string, Map<number, ChatMessage>>();
  /** Conversations of each `resume` sent on this connection, in order (the server answers in order). */
  readonly #resumes: Array<ReadonlySet<string> | 'all'> = [];
  /** Per conversation with a held gap, the timer that asks for it again. */
  readonly #gapTimers = new Map<string, TimerHandle>();
  readonly #clock: LiveContext['clock'];
  readonly #queue = new Map<string, QueuedSend>();
  /** Read and delivered marks made while not connected: the newest per conversation, sent on connect. */
  readonly #marks = new Map<string, { readonly type: 'read' | 'delivered'; readonly conversationId: string; readonly seq: number }>();

  constructor(context: LiveContext, options: ChatLiveOptions = {}) {
    this.#clock = context.clock;
    for (const [id, seq] of Object.entries(options.cursors ?? {})) this.#cursors.set(id, seq);
    this.#socket = new LiveSocket<ChatServerFrame, ChatClientFrame>(context, '/chat/ws', {
      ready: () => this.#ready(),
      frame: (frame) => this.#frame(frame),
      state: (state) => this.#events.emit('state', { state }),
      stopped: (reason) => this.#stopped(reason),
    });
  }

  readonly on = this.#events.on.bind(this.#events);

  get state(): LiveState {
    return this.#socket.state;
  }

  /** The highest seq of `conversationId` delivered with none missing below it. */
  cursor(conversationId: string): number | undefined {
    return this.#cursors.get(conversationId);
  }

  /**
   * Sends a message; resolves with the server's ack (its id and seq), across reconnects. Pass
   * your own `clientMsgId` to retry a send after a restart without storing it twice.
   */
  send(conversationId: string, body: string, clientMsgId: string = newClientMsgId()): Promise<MessageAck> {
    return new Promise((resolve, reject) => {
      if (this.#socket.state === 'closed') return reject(new RealChatError('CLOSED', 'the live connection is closed'));
      const frame = { type: 'message.send', conversationId, clientMsgId, body } as const;
      if (encoder.encode(JSON.stringify(frame)).length > MAX_FRAME_BYTES) return reject(new RealChatError('FRAME_TOO_LARGE', 'the message does not fit in one frame'));
      if (this.#queue.has(clientMsgId)) return reject(new RealChatError('DUPLICATE_SEND', 'this clientMsgId is already being sent'));
      this.#queue.set(clientMsgId, { frame, resolve, reject, sent: false });
      this.#flush();
    });
  }

  /** Tells the members this user is typing (dropped while disconnected: it would be stale). */
  typing(conversationId: string): void {
    this.#socket.send({ type: 'typing', conversationId });
  }

  read(conversationId: string, seq: number): void {
    this.#mark({ type: 'read', conversationId, seq });
  }

  delivered(conversationId: string, seq: number): void {
    this.#mark({ type: 'delivered', conversationId, seq });
  }

  /** Closes the connection for good; unanswered sends fail with CLOSED. */
  close(): void {
    this.#socket.close();
  }

  #mark(frame: { readonly type: 'read' | 'delivered'; readonly conversationId: string; readonly seq: number }): void {
    if (this.#socket.send(frame)) return;
    const key = `${frame.type}:${frame.conversationId}`;
    if ((this.#marks.get(key)?.seq ?? -1) < frame.seq) this.#marks.set(key, frame);
  }

  #ready(): void {
    this.#resumes.length = 0;
    this.#resume('all', Object.fromEntries(this.#cursors));
    for (const send of this.#queue.values()) send.sent = false;
    this.#flush();
    for (const frame of this.#marks.values()) this.#socket.send(frame);
    this.#marks.clear();
  }

  #resume(scope: ReadonlySet<string> | 'all', cursors: Record<string, number>): void {
    if (this.#socket.send({ type: 'resume', cursors })) this.#resumes.push(scope);
  }

  /** Writes queued sends, oldest first, keeping at most MAX_IN_FLIGHT unanswered. */
  #flush(): void {
    let inFlight = 0;
    for (const send of this.#queue.values()) {
      if (send.sent) inFlight++;
      else if (inFlight >= MAX_IN_FLIGHT || !this.#socket.send(send.frame)) return;
      else {
        send.sent = true;
        inFlight++;
      }
    }
  }

  #frame(frame: ChatServerFrame): void {
    switch (frame.type) {
      case 'message.ack': {
        const send = this.#queue.get(frame.clientMsgId);
        if (send === undefined) return;
        this.#queue.delete(frame.clientMsgId);
        send.resolve({ clientMsgId: frame.clientMsgId, id: frame.id, seq: frame.seq, createdAt: frame.createdAt });
        return this.#flush();
      }
      case 'error': {
        const send = frame.ref === undefined ? undefined : this.#queue.get(frame.ref);
        if (send === undefined || frame.ref === undefined) return this.#events.emit('error', frame);
        this.#queue.delete(frame.ref);
        send.reject(new RealChatError(frame.code, `the message was refused: ${frame.code}`));
        return this.#flush();
      }
      case 'resumed':
        return this.#resumed(frame);
      case 'message.new':
        return this.#message(frame.message);
      case 'pong':
        return;
      default:
        this.#events.emit(frame.type, frame as never);
    }
  }

  /** Delivers in seq order, each once; a skipped seq is held and asked for again. */
  #message(message: ChatMessage): void {
    const { conversationId, seq } = message;
    const cursor = this.#cursors.get(conversationId);
    // No base to tell a gap from (a conversation new to this client): it starts here.
    if (cursor === undefined || seq === cursor + 1) {
      this.#deliver(message);
      this.#drainHeld(conversationId);
      return;
    }
    if (seq <= cursor) return;
    let held = this.#held.get(conversationId);
    if (held === undefined) this.#held.set(conversationId, (held = new Map()));
    const resuming = held.size > 0;
    held.set(seq, message);
    // One resume per gap: the later messages of the same gap wait for its answer.
    if (!resuming) this.#askForGap(conversationId);
  }

  /** Resumes `conversationId` from its cursor, and again every GAP_RETRY_MS while its gap is held. */
  #askForGap(conversationId: string): void {
    this.#resume(new Set([conversationId]), { [conversationId]: this.#cursors.get(conversationId)! });
    this.#gapTimers.get(conversationId)?.clear();
    this.#gapTimers.set(
      conversationId,
      this.#clock.setTimeout(() => {
        this.#gapTimers.delete(conversationId);
        if (this.#held.has(conversationId)) this.#askForGap(conversationId);
      }, GAP_RETRY_MS),
    );
  }

  /** The gap of `conversationId` is filled (or given up): no more asking. */
  #gapClosed(conversationId: string): void {
    this.#held.delete(conversationId);
    this.#gapTimers.get(conversationId)?.clear();
    this.#gapTimers.delete(conversationId);
  }

  #deliver(message: ChatMessage): void {
    this.#cursors.set(message.conversationId, message.seq);
    this.#events.emit('message.new', { type: 'message.new', message });
  }

  #drainHeld(conversationId: string): void {
    const held = this.#held.get(conversationId);
    if (held === undefined) return;
    for (let next = held.get(this.#cursors.get(conversationId)! + 1); next !== undefined; next = held.get(next.seq + 1)) {
      held.delete(next.seq);
      this.#deliver(next);
    }
    if (held.size === 0) this.#gapClosed(conversationId);
  }

  #resumed(resumed: Resumed): void {
    const scope = this.#resumes.shift() ?? 'all';
    const inScope = (id: string): boolean => scope === 'all' || scope.has(id);
    for (const { id, lastSeq } of resumed.conversations) {
      if (!inScope(id)) continue;
      // What the replay could not fill (truncated) is the app's to load; live delivery goes on past it.
      const held = this.#held.get(id);
      if (held !== undefined) {
        this.#gapClosed(id);
        for (const message of [...held.values()].sort((a, b) => a.seq - b.seq)) if (message.seq > (this.#cursors.get(id) ?? -1)) this.#deliver(message);
      }
      if ((this.#cursors.get(id) ?? -1) < lastSeq) this.#cursors.set(id, lastSeq);
    }
    this.#events.emit('resumed', resumed);
  }

  #stopped(reason: StopReason): void {
    const error = reason === 'signed-out' ? new RealChatError('SIGNED_OUT', 'the session ended') : new RealChatError('CLOSED', 'the live connection is closed');
    for (const send of this.#queue.values()) send.reject(error);
    this.#queue.clear();
    for (const id of [...this.#gapTimers.keys()]) this.#gapClosed(id);
    this.#events.emit('stopped', { reason });
  }
}
