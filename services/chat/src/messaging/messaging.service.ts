import { newId } from '@realchat/contracts';
import { isUniqueViolation } from '@realchat/db';
import { AppError } from '@realchat/errors';
import { isStorableText } from '@realchat/http';
import type { ChatContext } from '../context.js';
import type { ChatMessage, LiveHub, Messaging, QueuedSend, SendInput, SendResult } from '../domain/types.js';
import { ChatErrors } from '../errors.js';
import { ChatMessageCreated } from '../events.js';
import { MessagingRepository, type Position, type Standing, type StoredSends } from './messaging.repository.js';
import { SendBatcher } from './send-batcher.js';

/** Who acts: ADMINs moderate any conversation. */
export interface Actor {
  readonly userId: string;
  readonly admin: boolean;
}

const CLIENT_MSG_ID = /^[A-Za-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREVIEW_LENGTH = 200;
const RATE_WINDOW_MS = 60_000;

export const notFound = (what = 'conversation'): AppError => new AppError('NOT_FOUND', `no such ${what}`);
export const notAMember = (): AppError => new AppError(ChatErrors.NOT_A_MEMBER, 'you are not a member of this conversation');

/** The caller's standing, or the error saying why they cannot act: 404 for none, NOT_A_MEMBER. */
export function requireMember(standing: Standing | undefined): Standing & { role: 'owner' | 'member' } {
  if (standing === undefined) throw notFound();
  if (standing.role === null) throw notAMember();
  return standing as Standing & { role: 'owner' | 'member' };
}

/** The seam's callers validate their frames; a malformed id must still be a 400, never a driver error. */
function requireConversationId(id: string): void {
  if (!UUID.test(id)) throw new AppError('VALIDATION_FAILED', 'conversationId: a UUID', { errors: [{ path: '/conversationId', message: 'must be a UUID' }] });
}

/** A validated send, waiting for its batch. */
interface PendingSend {
  readonly id: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly body: string;
  readonly at: Date;
}

/** What became of a send in its batch; `refused`: not a member, or blocked (explained afterwards). */
type SendOutcome =
  | { readonly kind: 'stored'; readonly seq: number; readonly memberIds: readonly string[] }
  | { readonly kind: 'repeated' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'failed'; readonly error: unknown };

/** Batches under way at once: PGlite runs one transaction at a time; PostgreSQL keeps pool connections for the reads. */
const BATCHES_IN_FLIGHT = { pglite: 1, postgres: 4 } as const;
const MAX_BATCH = 128;

/** Characters as people count them (code points), counted only when the code units could be too many. */
function tooLong(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let n = 0;
  for (const _ of text) if (++n > max) return true;
  return false;
}

/** A trimmed message body: empty is VALIDATION_FAILED, past CHAT_MESSAGE_MAX_LENGTH is MESSAGE_TOO_LONG. */
export function messageBody(raw: string, max: number): string {
  const body = raw.trim();
  if (!isStorableText(body)) throw new AppError('VALIDATION_FAILED', 'the message holds characters no database stores', { errors: [{ path: '/body', message: 'must not contain NUL or unpaired surrogate characters' }] });
  if (body === '') throw new AppError('VALIDATION_FAILED', 'the message is empty', { errors: [{ path: '/body', message: 'must not be empty' }] });
  if (tooLong(body, max)) throw new AppError(ChatErrors.MESSAGE_TOO_LONG, `a message holds at most ${max} characters`);
  return body;
}

/** The first `PREVIEW_LENGTH` code units, never cutting a surrogate pair in half. */
function preview(body: string): string {
  if (body.length <= PREVIEW_LENGTH) return body;
  const cut = body.slice(0, PREVIEW_LENGTH);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** Messages: the `Messaging` seam (send, positions, replay) and edits, deletes, reactions, history and search. */
export class MessagingService implements Messaging {
  readonly #context: ChatContext;
  readonly #hub: LiveHub;
  readonly #repo = new MessagingRepository();
  readonly #batcher: SendBatcher<PendingSend, SendOutcome>;
  /** Settles once the last send queued so far reached the batch queue (or failed before it). */
  #turn: Promise<void> = Promise.resolve();

  constructor(context: ChatContext, hub: LiveHub) {
    this.#context = context;
    this.#hub = hub;
    this.#batcher = new SendBatcher((batch) => this.#store(batch), { key: (send) => send.conversationId, maxInFlight: BATCHES_IN_FLIGHT[context.db.kind], maxBatch: MAX_BATCH });
  }

  /** Resolves once the sends under way are stored (stop waits for them). */
  idle(): Promise<void> {
    return this.#batcher.idle();
  }

  async send(input: SendInput): Promise<ChatMessage> {
    return (await this.sendOnce(input)).message;
  }

  /** A send to its end: `created` is false for a repeated clientMsgId, which stores nothing and leaves no gap in seq. */
  async sendOnce(input: SendInput): Promise<SendResult> {
    return (await this.queue(input)).done;
  }

  /**
   * The send path up to the batch queue: validation, then the sender's rate. Sends reach the
   * batch queue in the order `queue` was called, and so commit in that order (SendBatcher), though
   * their rate checks overlap: a socket's frames that arrive together share a round trip to the
   * store and then a batch. `done` settles after the batch's statement and the live fan-out.
   */
  queue(input: SendInput): Promise<QueuedSend> {
    const { env, store, clock } = this.#context;
    let send: PendingSend;
    try {
      requireConversationId(input.conversationId);
      if (!CLIENT_MSG_ID.test(input.clientMsgId)) throw new AppError('VALIDATION_FAILED', 'clientMsgId: 1 to 64 of A-Z a-z 0-9 _ -', { errors: [{ path: '/clientMsgId', message: 'must match ^[A-Za-z0-9_-]{1,64}$' }] });
      send = { id: newId(), conversationId: input.conversationId, senderId: input.senderId, clientMsgId: input.clientMsgId, body: messageBody(input.body, env.CHAT_MESSAGE_MAX_LENGTH), at: clock.now() };
    } catch (err) {
      return Promise.reject(err);
    }
    const rate = store.increment(`chat:send-rate:${input.senderId}`, RATE_WINDOW_MS);
    // #settle submits before its first await, and the next send's turn waits for this one's.
    const admitted = this.#turn.then(async (): Promise<QueuedSend> => {
      const { value, ttlMs } = await rate;
      if (value > env.CHAT_SEND_RATE_PER_MINUTE) {
        throw new AppError(ChatErrors.SEND_RATE_LIMITED, 'too many messages; slow down', { headers: { 'retry-after': String(Math.max(1, Math.ceil(ttlMs / 1000))) } });
      }
      return { done: this.#settle(send) };
    });
    this.#turn = admitted.then(
      () => undefined,
      () => undefined,
    );
    return admitted;
  }

  async #settle(send: PendingSend): Promise<SendResult> {
    const { db } = this.#context;
    // Two tries: a refusal is explained after the fact, and membership may change in between.
    for (let attempt = 0; attempt < 2; attempt++) {
      const outcome = await this.#batcher.submit(send);
      if (outcome.kind === 'stored') {
        const message: ChatMessage = {
          id: send.id,
          conversationId: send.conversationId,
          seq: outcome.seq,
          senderId: send.senderId,
          clientMsgId: send.clientMsgId,
          body: send.body,
          createdAt: send.at.toISOString(),
          editedAt: null,
          deletedAt: null,
          reactions: [],
        };
        this.#hub.deliver(outcome.memberIds, { type: 'message.new', message });
        return { message, created: true };
      }
      if (outcome.kind === 'failed') throw outcome.error;
      if (outcome.kind === 'repeated') {
        const first = await this.#repo.messageByClientId(db, send.conversationId, send.senderId, send.clientMsgId);
        if (first === undefined) throw new Error('a repeated clientMsgId without its first message');
        return { message: first, created: false };
      }
      const standing = requireMember(await this.#repo.standing(db, send.conversationId, send.senderId));
      if (standing.type === 'direct') throw new AppError(ChatErrors.BLOCKED, 'one of you blocked the other');
    }
    throw notAMember();
  }

  /**
   * A batch of sends in one statement (MessagingRepository.storeSends): its own transaction,
   * whatever the batch's size. When it fails, each send runs again alone: one bad send fails alone.
   */
  async #store(batch: readonly PendingSend[], again = false): Promise<SendOutcome[]> {
    const { db, outbox } = this.#context;
    let stored: StoredSends;
    try {
      stored = await this.#repo.storeSends(db, batch.map((send) => ({ ...send, eventId: newId(), preview: preview(send.body) })), ChatMessageCreated);
    } catch (err) {
      // Another instance stored the same clientMsgId after the statement's snapshot: the next statement sees it.
      if (batch.length === 1 && !again && isUniqueViolation(err)) return this.#store(batch, true);
      if (batch.length === 1) throw err;
      const alone: SendOutcome[] = [];
      for (const send of batch) {
        try {
          alone.push(...(await this.#store([send])));
        } catch (error) {
          alone.push({ kind: 'failed', error });
        }
      }
      return alone;
    }
    outbox.committed();
    return stored.outcomes.map((o, i): SendOutcome => {
      if (!o.allowed) return { kind: 'refused' };
      if (o.seq === null) return { kind: 'repeated' };
      return { kind: 'stored', seq: o.seq, memberIds: stored.members[batch[i]!.conversationId] ?? [] };
    });
  }

  async messagesAfter(userId: string, conversationId: string, after: number, limit: number): Promise<readonly ChatMessage[]> {
    requireConversationId(conversationId);
    if (!Number.isSafeInteger(after) || !Number.isSafeInteger(limit) || after < 0 || limit < 1) throw new AppError('VALIDATION_FAILED', 'after: an integer from 0; limit: from 1');
    const rows = await this.#repo.messagesAfter(this.#context.db, userId, conversationId, after, limit);
    if (rows.length === 0) await this.#member(userId, conversationId);
    return rows;
  }

  /**
   * A history page in ascending seq. `after`: the oldest `limit` past it, the cursor the largest
   * seq when newer ones exist. Else the newest `limit` before `before` (or of all), the cursor the
   * smallest seq when older ones exist.
   */
  async history(userId: string, conversationId: string, page: { before: number | undefined; after: number | undefined; limit: number }): Promise<{ items: ChatMessage[]; nextCursor: string | null }> {
    const { db } = this.#context;
    const { before, after, limit } = page;
    if (after !== undefined) {
      const rows = await this.#repo.messagesAfter(db, userId, conversationId, after, limit + 1);
      if (rows.length === 0) await this.#member(userId, conversationId);
      const items = rows.slice(0, limit);
      return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]?.seq) : null };
    }
    const rows = await this.#repo.messagesBefore(db, userId, conversationId, before, limit + 1);
    if (rows.length === 0) await this.#member(userId, conversationId);
    const items = rows.slice(0, limit).reverse();
    return { items, nextCursor: rows.length > limit ? String(items[0]?.seq) : null };
  }

  async memberships(userId: string): Promise<ReadonlyMap<string, number>> {
    const rows = await this.#repo.memberships(this.#context.db, userId);
    return new Map(rows.map((r) => [r.id, r.lastSeq]));
  }

  async membersOf(userId: string, conversationId: string): Promise<readonly string[]> {
    requireConversationId(conversationId);
    const ids = await this.#repo.memberIds(this.#context.db, conversationId);
    if (!ids.includes(userId)) throw notAMember();
    return ids;
  }

  async markRead(userId: string, conversationId: string, seq: number): Promise<number> {
    return this.#mark('read', userId, conversationId, seq);
  }

  async markDelivered(userId: string, conversationId: string, seq: number): Promise<number> {
    return this.#mark('delivered', userId, conversationId, seq);
  }

  async #mark(position: Position, userId: string, conversationId: string, seq: number): Promise<number> {
    requireConversationId(conversationId);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new AppError('VALIDATION_FAILED', 'seq: a whole number from 0', { errors: [{ path: '/seq', message: 'must be an integer >= 0' }] });
    const { db } = this.#context;
    const moved = await this.#repo.advance(db, position, userId, conversationId, seq);
    if (moved === undefined) {
      const stored = await this.#repo.position(db, position, userId, conversationId);
      if (stored === undefined) throw notAMember();
      return stored;
    }
    this.#hub.deliver(moved.memberIds, { type: position, conversationId, userId, seq: moved.seq });
    return moved.seq;
  }

  /** The sender edits their own message (still a member of its conversation). */
  async edit(userId: string, messageId: string, rawBody: string): Promise<ChatMessage> {
    const body = messageBody(rawBody, this.#context.env.CHAT_MESSAGE_MAX_LENGTH);
    const { db, clock } = this.#context;
    const message = await this.#readable(userId, messageId);
    if (message.senderId !== userId) throw new AppError('FORBIDDEN', 'you can only edit your own messages');
    if (message.deletedAt !== null) throw new AppError(ChatErrors.MESSAGE_DELETED, 'this message is deleted');
    if (!(await this.#repo.edit(db, messageId, body, clock.now()))) throw new AppError(ChatErrors.MESSAGE_DELETED, 'this message is deleted');
    return this.#announce(messageId, 'message.updated');
  }

  /** The sender, or an ADMIN (any message, member or not), soft-deletes; deleting again changes nothing. */
  async remove(actor: Actor, messageId: string): Promise<void> {
    const { db, clock } = this.#context;
    const message = actor.admin ? await this.#repo.message(db, messageId) : await this.#readable(actor.userId, messageId);
    if (message === undefined) throw notFound('message');
    if (message.senderId !== actor.userId && !actor.admin) throw new AppError('FORBIDDEN', 'you can only delete your own messages');
    const changed = await db.transaction((tx) => this.#repo.softDelete(tx, messageId, actor.userId, clock.now()));
    if (changed) await this.#announce(messageId, 'message.deleted');
  }

  /** Adds (`add`) or takes back the caller's `emoji` on a message; idempotent both ways. */
  async react(userId: string, messageId: string, emoji: string, add: boolean): Promise<ChatMessage> {
    const { db, clock } = this.#context;
    const message = await this.#readable(userId, messageId);
    if (add && message.deletedAt !== null) throw new AppError(ChatErrors.MESSAGE_DELETED, 'this message is deleted');
    const changed = add ? await this.#repo.addReaction(db, messageId, userId, emoji, clock.now()) : await this.#repo.removeReaction(db, messageId, userId, emoji);
    const now = (await this.#repo.message(db, messageId)) ?? message;
    if (add && now.deletedAt !== null) throw new AppError(ChatErrors.MESSAGE_DELETED, 'this message is deleted');
    if (changed) {
      const members = await this.#repo.memberIds(db, now.conversationId);
      this.#hub.deliver(members, { type: 'reaction', conversationId: now.conversationId, messageId, userId, emoji, action: add ? 'added' : 'removed', reactions: now.reactions });
    }
    return now;
  }

  async search(userId: string, query: { text: string; conversationId: string | undefined; after: { at: Date; id: string } | undefined; take: number }): Promise<ChatMessage[]> {
    if (query.conversationId !== undefined) await this.#member(userId, query.conversationId);
    return this.#repo.search(this.#context.db, userId, query);
  }

  /** A message of a conversation the user is a member of: 404 for none, NOT_A_MEMBER otherwise. */
  async #readable(userId: string, messageId: string): Promise<ChatMessage> {
    const message = await this.#repo.message(this.#context.db, messageId);
    if (message === undefined) throw notFound('message');
    await this.#member(userId, message.conversationId);
    return message;
  }

  async #member(userId: string, conversationId: string): Promise<void> {
    requireMember(await this.#repo.standing(this.#context.db, conversationId, userId));
  }

  /** Reads the message as committed and tells the members. */
  async #announce(messageId: string, type: 'message.updated' | 'message.deleted'): Promise<ChatMessage> {
    const { db } = this.#context;
    const message = await this.#repo.message(db, messageId);
    if (message === undefined) throw notFound('message');
    this.#hub.deliver(await this.#repo.memberIds(db, message.conversationId), { type, message });
    return message;
  }
}
