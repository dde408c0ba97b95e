import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@realchat/contracts';
import { silentLogger } from '@realchat/logging';
import type { ChatContext } from '../src/context.js';
import type { ChatMessage, Conversation, LiveFrame, LiveHub } from '../src/domain/types.js';
import { MessagingService } from '../src/messaging/messaging.service.js';
import { call, eventually, PASSWORD, signUp, startChat, variants, type ChatHarness, type TestUser } from './harness.js';

interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}
interface Problem {
  code: string;
}

const MAX_LENGTH = 20;
const RATE = 25;

describe.each(variants)('messages: send, history, edits, deletes, reactions and search (%s)', (variant) => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChat(variant, { env: { CHAT_MESSAGE_MAX_LENGTH: String(MAX_LENGTH), CHAT_SEND_RATE_PER_MINUTE: String(RATE) } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const befriend = async (a: TestUser, b: TestUser) => {
    const sent = await call<{ id: string }>(h, a, 'POST', '/chat/friends/requests', { userId: b.id });
    expect((await call(h, b, 'POST', `/chat/friends/requests/${sent.body.id}/accept`)).status).toBe(200);
  };
  /** Two friends and their direct conversation. */
  const pair = async (): Promise<[TestUser, TestUser, string]> => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    const made = await call<Conversation>(h, ada, 'POST', '/chat/conversations', { type: 'direct', userId: bob.id });
    return [ada, bob, made.body.id];
  };
  const post = (user: TestUser, conversationId: string, body: unknown) => call<ChatMessage & Problem>(h, user, 'POST', `/chat/conversations/${conversationId}/messages`, body);
  const send = async (user: TestUser, conversationId: string, body: string) => {
    const res = await post(user, conversationId, { clientMsgId: newId(), body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const history = (user: TestUser, conversationId: string, query = '') => call<PageOf<ChatMessage> & Problem>(h, user, 'GET', `/chat/conversations/${conversationId}/messages${query}`);
  const seqs = (page: PageOf<ChatMessage>) => page.items.map((m) => m.seq);
  const promote = async (user: TestUser): Promise<TestUser> => {
    await h.db.query(`update auth.users set roles = array['ADMIN', 'STUDENT'] where id = $1`, [user.id]);
    const login = await call<{ access_token: string }>(h, null, 'POST', '/auth/login', { email: user.email, password: PASSWORD });
    return { ...user, token: login.body.access_token };
  };
  const outboxOf = async (conversationId: string) =>
    (await h.db.query<{ data: Record<string, unknown> }>(`select data from chat.outbox where type = 'chat.message.created' and data->>'conversationId' = $1 order by seq`, [conversationId])).rows.map((r) => r.data);

  it('sends with the next seq, trimmed, and writes chat.message.created for the other members', async () => {
    const [ada, bob, id] = await pair();
    const first = await post(ada, id, { clientMsgId: 'c-1', body: '  hello  ' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ conversationId: id, seq: 1, senderId: ada.id, clientMsgId: 'c-1', body: 'hello', editedAt: null, deletedAt: null, reactions: [] });
    const second = await send(bob, id, 'hi');
    expect(second.seq).toBe(2);
    expect(await outboxOf(id)).toEqual([
      expect.objectContaining({ messageId: first.body.id, seq: 1, senderId: ada.id, recipientIds: [bob.id], conversationType: 'direct', conversationName: null, preview: 'hello' }),
      expect.objectContaining({ messageId: second.id, seq: 2, senderId: bob.id, recipientIds: [ada.id] }),
    ]);
    // The statement writes the event itself: the relay publishes it only if its contract holds.
    await eventually(() => h.events.some((e) => e.type === 'chat.message.created' && (e.data as { messageId: string }).messageId === second.id));
    expect(h.events.find((e) => (e.data as { messageId?: string }).messageId === second.id)).toMatchObject({
      version: 1,
      producer: 'chat',
      occurredAt: second.createdAt,
      data: { messageId: second.id, conversationId: id, conversationType: 'direct', conversationName: null, seq: 2, senderId: bob.id, recipientIds: [ada.id], preview: 'hi', createdAt: second.createdAt },
    });
    const conversation = await call<Conversation>(h, ada, 'GET', `/chat/conversations/${id}`);
    expect(conversation.body.lastSeq).toBe(2);
  });

  it('names a group and every other member in its messages\' events', async () => {
    const [ada, bob] = await pair();
    const cyd = await signUp(h, 'Cyd');
    await befriend(ada, cyd);
    const group = (await call<Conversation>(h, ada, 'POST', '/chat/conversations', { type: 'group', name: 'Tea', memberIds: [bob.id, cyd.id] })).body;
    const sent = await send(bob, group.id, 'x'.repeat(MAX_LENGTH));
    const [event] = await outboxOf(group.id);
    expect(event).toEqual({ messageId: sent.id, conversationId: group.id, conversationType: 'group', conversationName: 'Tea', seq: 1, senderId: bob.id, recipientIds: expect.any(Array), preview: sent.body, createdAt: sent.createdAt });
    expect((event!['recipientIds'] as string[]).sort()).toEqual([ada.id, cyd.id].sort());
    await eventually(() => h.events.some((e) => (e.data as { messageId?: string }).messageId === sent.id));
  });

  it('stores a repeated clientMsgId once, even sent at once, and leaves no gap in seq', async () => {
    const [ada, bob, id] = await pair();
    const same = await Promise.all(Array.from({ length: 6 }, () => post(ada, id, { clientMsgId: 'dup', body: 'once' })));
    expect(new Set(same.map((r) => r.body.id)).size).toBe(1);
    expect(same.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(same[0]!.body.seq).toBe(1);
    // The same clientMsgId from another sender is another message.
    expect((await post(bob, id, { clientMsgId: 'dup', body: 'mine' })).body.seq).toBe(2);
    expect((await send(ada, id, 'next')).seq).toBe(3);
    const { rows } = await h.db.query<{ seq: number }>('select seq from chat.messages where conversation_id = $1 order by seq', [id]);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    // One event per stored message: the repeats' transactions were rolled back whole.
    expect((await outboxOf(id)).map((e) => e['seq'])).toEqual([1, 2, 3]);
    // Through the seam too (the socket's path): the first message again.
    expect((await h.chat.messaging.send({ conversationId: id, senderId: ada.id, clientMsgId: 'dup', body: 'other text' })).id).toBe(same[0]!.body.id);
  });

  it('answers with the first message a clientMsgId another instance stored while the send waited for the conversation\'s lock', async ({ skip }) => {
    if (variant === 'embedded') skip('PGlite has one connection: no other instance writes meanwhile');
    const [ada, , id] = await pair();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    // The other instance's batch: the lock, its message, the seq; committed once this send waits.
    const other = h.db.transaction(async (tx) => {
      await tx.query('select 1 from chat.conversations where id = $1 for update', [id]);
      await tx.query(`insert into chat.messages (id, conversation_id, seq, sender_id, client_msg_id, body, created_at) values ($1, $2, 1, $3, 'raced', 'first', now())`, [newId(), id, ada.id]);
      await tx.query('update chat.conversations set last_seq = 1 where id = $1', [id]);
      locked();
      await held;
    });
    // The send starts once the other holds the lock (and fails here if the other could not take it).
    await Promise.race([holding, other]);
    const sent = h.chat.messaging.send({ conversationId: id, senderId: ada.id, clientMsgId: 'raced', body: 'second' });
    await eventually(async () => (await h.db.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%with s as materialized%'`)).rows.length === 1);
    release();
    await other;
    expect(await sent).toMatchObject({ seq: 1, body: 'first', clientMsgId: 'raced' });
    expect((await send(ada, id, 'next')).seq).toBe(2);
  });

  it('writes the event in the send\'s transaction: when the outbox refuses, nothing is stored and seq does not move', async () => {
    const [ada, , id] = await pair();
    await send(ada, id, 'first');
    await h.db.query(`alter table chat.outbox add constraint poison check (data->>'preview' is distinct from 'poison') not valid`);
    try {
      expect((await post(ada, id, { clientMsgId: 'p', body: 'poison' })).status).toBe(500);
    } finally {
      await h.db.query('alter table chat.outbox drop constraint poison');
    }
    expect((await h.db.query('select 1 from chat.messages where conversation_id = $1 and client_msg_id = $2', [id, 'p'])).rows).toHaveLength(0);
    expect((await send(ada, id, 'second')).seq).toBe(2);
  });

  it('stores sends made at once (batched together) gaplessly; one the database refuses fails alone', async () => {
    const pairs = [await pair(), await pair(), await pair()];
    await h.db.query(`alter table chat.outbox add constraint poison_batch check (data->>'preview' is distinct from 'poison') not valid`);
    let settled: Array<PromiseSettledResult<ChatMessage>>;
    try {
      settled = await Promise.allSettled(
        pairs.flatMap(([ada, bob, id]) =>
          [ada, bob].flatMap((user) => [
            ...Array.from({ length: 8 }, (_, i) => h.chat.messaging.send({ conversationId: id, senderId: user.id, clientMsgId: `m${i}`, body: `m${i}` })),
            h.chat.messaging.send({ conversationId: id, senderId: user.id, clientMsgId: 'm0', body: 'again' }),
          ]),
        ).concat(h.chat.messaging.send({ conversationId: pairs[0]![2], senderId: pairs[0]![0].id, clientMsgId: 'bad', body: 'poison' })),
      );
    } finally {
      await h.db.query('alter table chat.outbox drop constraint poison_batch');
    }
    expect(settled.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(settled.at(-1)?.status).toBe('rejected');
    for (const [, , id] of pairs) {
      const { rows } = await h.db.query<{ seq: number; lastSeq: number }>(
        'select m.seq, c.last_seq as "lastSeq" from chat.messages m join chat.conversations c on c.id = m.conversation_id where m.conversation_id = $1 order by m.seq',
        [id],
      );
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect(rows[0]?.lastSeq).toBe(16);
      expect((await outboxOf(id)).map((e) => e['seq'])).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    }
  });

  it('refuses, inside a batch, a stranger and a blocked pair while storing the others gaplessly, with each sender\'s read position', async () => {
    const [ada, bob, open] = await pair();
    const [carl, dan, blocked] = await pair();
    expect((await call(h, carl, 'POST', '/chat/blocks', { userId: dan.id })).status).toBe(200);
    const eve = await signUp(h, 'Eve');
    const at = (user: TestUser, id: string, i: number) => h.chat.messaging.send({ conversationId: id, senderId: user.id, clientMsgId: `b${i}`, body: `b${i}` });
    const settled = await Promise.allSettled([
      ...Array.from({ length: 6 }, (_, i) => at(ada, open, i)),
      at(eve, open, 0),
      at(dan, blocked, 0),
      at(carl, blocked, 1),
      ...Array.from({ length: 4 }, (_, i) => at(bob, open, 10 + i)),
    ]);
    const codeOf = (r: PromiseSettledResult<ChatMessage> | undefined) => (r?.status === 'rejected' ? (r.reason as Problem).code : 'stored');
    expect(settled.slice(6, 9).map(codeOf)).toEqual(['NOT_A_MEMBER', 'BLOCKED', 'BLOCKED']);
    const stored = settled.filter((r): r is PromiseFulfilledResult<ChatMessage> => r.status === 'fulfilled').map((r) => r.value);
    expect(stored).toHaveLength(10);
    expect(stored.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const adaSeqs = stored.filter((m) => m.senderId === ada.id).map((m) => m.seq);
    const { rows } = await h.db.query<{ userId: string; readSeq: number }>('select user_id as "userId", read_seq as "readSeq" from chat.members where conversation_id = $1', [open]);
    const readOf = (user: TestUser) => rows.find((r) => r.userId === user.id)?.readSeq;
    expect(readOf(ada)).toBe(Math.max(...adaSeqs));
    expect(readOf(bob)).toBe(Math.max(...stored.filter((m) => m.senderId === bob.id).map((m) => m.seq)));
    expect((await h.db.query('select 1 from chat.messages where conversation_id = $1', [blocked])).rows).toHaveLength(0);
    expect((await h.db.query<{ lastSeq: number }>('select last_seq as "lastSeq" from chat.conversations where id = $1', [blocked])).rows[0]?.lastSeq).toBe(0);
    expect((await outboxOf(open)).map((e) => e['seq'])).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('refuses empty, too long and malformed sends, strangers, unknown conversations and blocked pairs', async () => {
    const [ada, bob, id] = await pair();
    const cases: Array<[unknown, number, string]> = [
      [{ clientMsgId: 'a', body: '   ' }, 400, 'VALIDATION_FAILED'],
      [{ clientMsgId: 'a', body: 'x'.repeat(MAX_LENGTH + 1) }, 400, 'MESSAGE_TOO_LONG'],
      [{ clientMsgId: 'bad id', body: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ clientMsgId: 'x'.repeat(65), body: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ body: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ clientMsgId: 'a', body: 'x', extra: true }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(ada, id, body);
      expect([res.status, res.body.code]).toEqual([status, code]);
    }
    // Characters, not UTF-16 code units: 20 emoji fit.
    expect((await post(ada, id, { clientMsgId: 'emoji', body: '😀'.repeat(MAX_LENGTH) })).status).toBe(201);
    const stranger = await signUp(h, 'Stranger');
    expect((await post(stranger, id, { clientMsgId: 'a', body: 'x' })).body.code).toBe('NOT_A_MEMBER');
    expect((await post(ada, newId(), { clientMsgId: 'a', body: 'x' })).status).toBe(404);
    // The seam (the socket's path) refuses a malformed id with a 400 too, never a driver error.
    await expect(h.chat.messaging.send({ conversationId: 'nope', senderId: ada.id, clientMsgId: 'a', body: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(h.chat.messaging.markRead(ada.id, 'nope', 1)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await call(h, bob, 'POST', '/chat/blocks', { userId: ada.id })).status).toBe(200);
    const blocked = await post(ada, id, { clientMsgId: 'b', body: 'x' });
    expect([blocked.status, blocked.body.code]).toEqual([403, 'BLOCKED']);
    expect((await post(bob, id, { clientMsgId: 'b', body: 'x' })).body.code).toBe('BLOCKED');
    expect((await h.db.query<{ lastSeq: number }>('select last_seq as "lastSeq" from chat.conversations where id = $1', [id])).rows[0]?.lastSeq).toBe(1);
  });

  it('limits each sender to CHAT_SEND_RATE_PER_MINUTE', async () => {
    const [ada, bob, id] = await pair();
    for (let i = 0; i < RATE; i++) await send(ada, id, `m${i}`);
    const limited = await post(ada, id, { clientMsgId: 'over', body: 'x' });
    expect([limited.status, limited.body.code]).toEqual([429, 'SEND_RATE_LIMITED']);
    await expect(h.chat.messaging.send({ conversationId: id, senderId: ada.id, clientMsgId: 'over2', body: 'x' })).rejects.toMatchObject({ code: 'SEND_RATE_LIMITED' });
    expect((await post(bob, id, { clientMsgId: 'fine', body: 'x' })).status).toBe(201);
  });

  it('pages the history by seq: newest page, before, after, edges and bad queries', async () => {
    const [ada, bob, id] = await pair();
    expect((await history(ada, id)).body).toEqual({ items: [], nextCursor: null });
    expect((await history(ada, id, '?after=0')).body).toEqual({ items: [], nextCursor: null });
    for (let i = 1; i <= 7; i++) await send(i % 2 === 0 ? bob : ada, id, `m${i}`);

    const newest = (await history(ada, id, '?limit=3')).body;
    expect([seqs(newest), newest.nextCursor]).toEqual([[5, 6, 7], '5']);
    expect(newest.items[2]).toMatchObject({ body: 'm7', senderId: ada.id });
    const older = (await history(ada, id, `?limit=3&before=${newest.nextCursor}`)).body;
    expect([seqs(older), older.nextCursor]).toEqual([[2, 3, 4], '2']);
    const oldest = (await history(ada, id, '?limit=3&before=2')).body;
    expect([seqs(oldest), oldest.nextCursor]).toEqual([[1], null]);
    const exactlyOnePage = (await history(ada, id, '?limit=7')).body;
    expect([seqs(exactlyOnePage), exactlyOnePage.nextCursor]).toEqual([[1, 2, 3, 4, 5, 6, 7], null]);
    expect(seqs((await history(ada, id)).body)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const forward = (await history(ada, id, '?limit=3&after=0')).body;
    expect([seqs(forward), forward.nextCursor]).toEqual([[1, 2, 3], '3']);
    const tail = (await history(bob, id, '?limit=3&after=5')).body;
    expect([seqs(tail), tail.nextCursor]).toEqual([[6, 7], null]);
    expect((await history(bob, id, '?after=7')).body).toEqual({ items: [], nextCursor: null });
    expect(await h.chat.messaging.messagesAfter(ada.id, id, 5, 10)).toEqual(tail.items);

    for (const query of ['?before=3&after=1', '?limit=101', '?limit=0', '?before=0', '?after=-1', '?before=x', '?after=99999999999999999999', '?cursor=abc']) {
      const res = await history(ada, id, query);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
    const stranger = await signUp(h, 'Stranger');
    expect((await history(stranger, id)).body.code).toBe('NOT_A_MEMBER');
    await expect(h.chat.messaging.messagesAfter(stranger.id, id, 0, 10)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    expect((await history(ada, newId())).status).toBe(404);
  });

  it('edits one\'s own messages only, and never a deleted one', async () => {
    const [ada, bob, id] = await pair();
    const message = await send(ada, id, 'typo');
    const edit = (user: TestUser, messageId: string, body: unknown) => call<ChatMessage & Problem>(h, user, 'PATCH', `/chat/messages/${messageId}`, { body });
    h.clock.advance(5_000);
    const edited = await edit(ada, message.id, ' fixed ');
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: message.id, seq: message.seq, body: 'fixed', editedAt: h.clock.now().toISOString() });
    expect((await history(bob, id)).body.items[0]).toMatchObject({ body: 'fixed', editedAt: h.clock.now().toISOString() });
    expect((await edit(bob, message.id, 'mine now')).body.code).toBe('FORBIDDEN');
    expect((await edit(ada, message.id, ' ')).body.code).toBe('VALIDATION_FAILED');
    expect((await edit(ada, message.id, 'x'.repeat(MAX_LENGTH + 1))).body.code).toBe('MESSAGE_TOO_LONG');
    expect((await edit(ada, newId(), 'x')).status).toBe(404);
    expect((await edit(await signUp(h, 'Stranger'), message.id, 'x')).body.code).toBe('NOT_A_MEMBER');
    expect((await call(h, ada, 'DELETE', `/chat/messages/${message.id}`)).status).toBe(204);
    const late = await edit(ada, message.id, 'again');
    expect([late.status, late.body.code]).toEqual([409, 'MESSAGE_DELETED']);
  });

  it('soft-deletes: one\'s own, or any for an ADMIN; seen as deleted in every later read', async () => {
    const [ada, bob, id] = await pair();
    const [mine, his] = [await send(ada, id, 'secret words'), await send(bob, id, 'his words')];
    const remove = (user: TestUser, messageId: string) => call<Problem | null>(h, user, 'DELETE', `/chat/messages/${messageId}`);
    expect((await remove(ada, his.id))?.body?.code).toBe('FORBIDDEN');
    await call(h, bob, 'PUT', `/chat/messages/${mine.id}/reactions/${encodeURIComponent('👍')}`);
    h.clock.advance(1_000);
    expect((await remove(ada, mine.id)).status).toBe(204);
    expect((await remove(ada, mine.id)).status).toBe(204);
    const deleted = { id: mine.id, seq: 1, body: '', deletedAt: h.clock.now().toISOString(), reactions: [] };
    expect((await history(bob, id)).body.items[0]).toMatchObject(deleted);
    expect((await h.chat.messaging.messagesAfter(bob.id, id, 0, 10))[0]).toMatchObject(deleted);
    const stored = await h.db.query<{ body: string; deletedBy: string }>('select body, deleted_by as "deletedBy" from chat.messages where id = $1', [mine.id]);
    expect(stored.rows[0]).toEqual({ body: '', deletedBy: ada.id });
    expect((await call<PageOf<ChatMessage>>(h, bob, 'GET', '/chat/search?q=secret')).body.items).toEqual([]);

    const admin = await promote(await signUp(h, 'Admin'));
    expect((await remove(admin, his.id)).status).toBe(204);
    expect((await history(ada, id)).body.items[1]).toMatchObject({ id: his.id, body: '', deletedAt: expect.any(String) });
    expect((await remove(admin, newId())).status).toBe(404);
    expect((await remove(await signUp(h, 'Stranger'), his.id))?.body?.code).toBe('NOT_A_MEMBER');
  });

  it('counts reactions: one per user and emoji, idempotent both ways, emoji validated', async () => {
    const [ada, bob, id] = await pair();
    const message = await send(ada, id, 'react to me');
    const react = (user: TestUser, method: 'PUT' | 'DELETE', emoji: string, messageId = message.id) =>
      call<ChatMessage & Problem>(h, user, method, `/chat/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
    expect((await react(ada, 'PUT', '👍')).body.reactions).toEqual([{ emoji: '👍', count: 1 }]);
    expect((await react(ada, 'PUT', '👍')).body.reactions).toEqual([{ emoji: '👍', count: 1 }]);
    h.clock.advance(1_000);
    expect((await react(bob, 'PUT', '👍')).body.reactions).toEqual([{ emoji: '👍', count: 2 }]);
    // Counts are listed in the order of each emoji's first reaction.
    for (const emoji of ['🎉', '🇫🇷', '👩‍👩‍👧', '👍🏽', '❤️']) {
      h.clock.advance(1_000);
      expect((await react(bob, 'PUT', emoji)).status).toBe(200);
    }
    expect((await react(bob, 'DELETE', '👍')).body.reactions[0]).toEqual({ emoji: '👍', count: 1 });
    expect((await react(bob, 'DELETE', '👍')).status).toBe(200);
    expect((await history(ada, id)).body.items[0]?.reactions).toEqual([
      { emoji: '👍', count: 1 },
      { emoji: '🎉', count: 1 },
      { emoji: '🇫🇷', count: 1 },
      { emoji: '👩‍👩‍👧', count: 1 },
      { emoji: '👍🏽', count: 1 },
      { emoji: '❤️', count: 1 },
    ]);

    for (const emoji of ['abc', '1', '👍a', ':+1:', '😀'.repeat(9), ' ']) {
      const res = await react(ada, 'PUT', emoji);
      expect([emoji, res.status, res.body.code]).toEqual([emoji, 400, 'VALIDATION_FAILED']);
    }
    expect((await react(await signUp(h, 'Stranger'), 'PUT', '👍')).body.code).toBe('NOT_A_MEMBER');
    expect((await react(ada, 'PUT', '👍', newId())).status).toBe(404);
    await call(h, ada, 'DELETE', `/chat/messages/${message.id}`);
    expect((await react(bob, 'PUT', '👍')).body.code).toBe('MESSAGE_DELETED');
  });

  it('searches only the caller\'s conversations, newest first, in keyset pages', async () => {
    const [ada, bob, withBob] = await pair();
    const cyd = await signUp(h, 'Cyd');
    await befriend(ada, cyd);
    const group = (await call<Conversation>(h, ada, 'POST', '/chat/conversations', { type: 'group', name: 'G', memberIds: [cyd.id] })).body;
    const term = `z${Date.now().toString(36).slice(-6)}`;
    const hits: ChatMessage[] = [];
    hits.push(await send(ada, withBob, `a ${term} ok`));
    h.clock.advance(1_000);
    hits.push(await send(bob, withBob, `${term}!`));
    h.clock.advance(1_000);
    hits.push(await send(cyd, group.id, `the ${term} grp`));
    h.clock.advance(1_000);
    await send(ada, withBob, 'nothing to see');
    const search = (user: TestUser, query: string) => call<PageOf<ChatMessage> & Problem>(h, user, 'GET', `/chat/search?${query}`);

    const all = (await search(ada, `q=${term}`)).body;
    expect(all.items.map((m) => m.id)).toEqual([hits[2]!.id, hits[1]!.id, hits[0]!.id]);
    expect(all.nextCursor).toBeNull();
    expect((await search(bob, `q=${term}`)).body.items.map((m) => m.id)).toEqual([hits[1]!.id, hits[0]!.id]);
    expect((await search(cyd, `q=${encodeURIComponent(`"the ${term}"`)}`)).body.items.map((m) => m.id)).toEqual([hits[2]!.id]);
    expect((await search(ada, `q=${term}&conversationId=${withBob}`)).body.items).toHaveLength(2);
    expect((await search(bob, `q=${term}&conversationId=${group.id}`)).body.code).toBe('NOT_A_MEMBER');

    const first = (await search(ada, `q=${term}&limit=2`)).body;
    expect(first.items.map((m) => m.id)).toEqual([hits[2]!.id, hits[1]!.id]);
    const next = (await search(ada, `q=${term}&limit=2&cursor=${first.nextCursor}`)).body;
    expect([next.items.map((m) => m.id), next.nextCursor]).toEqual([[hits[0]!.id], null]);

    for (const query of [`q=${term}&cursor=bm9wZQ`, `q=${term}&cursor=!!`]) expect((await search(ada, query)).body.code).toBe('INVALID_CURSOR');
    expect((await search(ada, 'q=')).body.code).toBe('VALIDATION_FAILED');
    expect((await search(ada, `q=${term}&conversationId=nope`)).body.code).toBe('VALIDATION_FAILED');
    expect((await search(ada, 'q=%22%22')).body.items).toEqual([]);
  });

  it('keeps read and delivered positions: never lower, capped at the last seq, members only', async () => {
    const [ada, bob, id] = await pair();
    for (let i = 0; i < 3; i++) await send(ada, id, `m${i}`);
    const { messaging } = h.chat;
    expect(await messaging.markRead(bob.id, id, 2)).toBe(2);
    expect(await messaging.markRead(bob.id, id, 1)).toBe(2);
    expect(await messaging.markRead(bob.id, id, 99)).toBe(3);
    expect(await messaging.markDelivered(bob.id, id, 99)).toBe(3);
    expect(await messaging.markDelivered(bob.id, id, 0)).toBe(3);
    expect(await messaging.markRead(ada.id, id, 0)).toBe(3);
    const stranger = await signUp(h, 'Stranger');
    await expect(messaging.markRead(stranger.id, id, 1)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await expect(messaging.markRead(bob.id, id, -1)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect([...(await messaging.memberships(bob.id))]).toEqual([[id, 3]]);
    expect([...(await messaging.membersOf(bob.id, id))].sort()).toEqual([ada.id, bob.id].sort());
    await expect(messaging.membersOf(stranger.id, id)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  /** A context on the harness's engines, with only what messaging reads. */
  const messagingContext = (store: Pick<ChatContext['store'], 'increment'> = h.store): ChatContext =>
    ({
      env: { CHAT_MESSAGE_MAX_LENGTH: MAX_LENGTH, CHAT_SEND_RATE_PER_MINUTE: RATE, CHAT_GROUP_MAX_MEMBERS: 10 },
      db: h.db,
      store,
      clock: h.clock,
      logger: silentLogger,
      outbox: { schema: 'chat', committed: () => undefined },
    }) as unknown as ChatContext;

  it('checks the rates of sends queued together side by side, and queues them in their order whatever order the store answers in', async () => {
    const [ada, , id] = await pair();
    const asked: Array<() => void> = [];
    const held: Pick<ChatContext['store'], 'increment'> = {
      increment: (key, ttlMs, by) => new Promise((resolve, reject) => asked.push(() => void h.store.increment(key, ttlMs, by).then(resolve, reject))),
    };
    const messages = new MessagingService(messagingContext(held), { deliver: () => undefined });
    const sends = ['one', 'two', 'three'].map((body) => messages.sendOnce({ conversationId: id, senderId: ada.id, clientMsgId: body, body }));
    expect(asked).toHaveLength(3);
    for (const answer of asked.reverse()) answer();
    expect((await Promise.all(sends)).map(({ message }) => [message.body, message.seq])).toEqual([
      ['one', 1],
      ['two', 2],
      ['three', 3],
    ]);
  });

  it('hands each change to the live hub after its commit, with the frame that fits', async () => {
    const [ada, bob, id] = await pair();
    const seen: Array<{ to: string[]; frame: LiveFrame }> = [];
    const hub: LiveHub = { deliver: (to, frame) => void seen.push({ to: [...to].sort(), frame }) };
    // A recording hub (the host keeps its own inside the module).
    const messages = new MessagingService(messagingContext(), hub);
    const both = [ada.id, bob.id].sort();
    const take = () => seen.splice(0);

    const message = await messages.send({ conversationId: id, senderId: ada.id, clientMsgId: 'live', body: 'hi' });
    expect(take()).toEqual([{ to: both, frame: { type: 'message.new', message } }]);
    await messages.send({ conversationId: id, senderId: ada.id, clientMsgId: 'live', body: 'hi' });
    expect(take()).toEqual([]);
    await expect(messages.send({ conversationId: id, senderId: (await signUp(h)).id, clientMsgId: 'x', body: 'x' })).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    expect(take()).toEqual([]);

    expect(await messages.markRead(bob.id, id, 1)).toBe(1);
    expect(await messages.markRead(bob.id, id, 1)).toBe(1);
    expect(await messages.markDelivered(bob.id, id, 5)).toBe(1);
    expect(take()).toEqual([
      { to: both, frame: { type: 'read', conversationId: id, userId: bob.id, seq: 1 } },
      { to: both, frame: { type: 'delivered', conversationId: id, userId: bob.id, seq: 1 } },
    ]);

    const edited = await messages.edit(ada.id, message.id, 'hello');
    expect(take()).toEqual([{ to: both, frame: { type: 'message.updated', message: edited } }]);
    await messages.react(bob.id, message.id, '👍', true);
    await messages.react(bob.id, message.id, '👍', true);
    await messages.react(bob.id, message.id, '👍', false);
    expect(take()).toEqual([
      { to: both, frame: { type: 'reaction', conversationId: id, messageId: message.id, userId: bob.id, emoji: '👍', action: 'added', reactions: [{ emoji: '👍', count: 1 }] } },
      { to: both, frame: { type: 'reaction', conversationId: id, messageId: message.id, userId: bob.id, emoji: '👍', action: 'removed', reactions: [] } },
    ]);
    await messages.remove({ userId: ada.id, admin: false }, message.id);
    await messages.remove({ userId: ada.id, admin: false }, message.id);
    expect(take()).toEqual([{ to: both, frame: { type: 'message.deleted', message: expect.objectContaining({ id: message.id, body: '', deletedAt: expect.any(String) }) } }]);
  });
});
