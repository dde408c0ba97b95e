import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Draft } from '../src/domain/types.js';
import type { Delivery } from '../src/inbox/inbox.service.js';
import { startNotifications, variants, type NotificationsHarness } from './harness.js';

/** `tx`, counting the statements run through it. */
function counting(tx: Queryable): { readonly tx: Queryable; readonly statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    tx: {
      query<R>(sql: string, params?: readonly unknown[]) {
        statements.push(sql);
        return tx.query<R>(sql, params);
      },
    },
  };
}

describe.each(variants)('Inbox.deliver: one event to many recipients (%s)', (variant) => {
  let h: NotificationsHarness;
  beforeAll(async () => {
    h = await startNotifications(variant);
  });
  afterAll(async () => {
    await h?.close();
  });

  const envelope = (): EventEnvelope => ({ id: randomUUID(), type: 'chat.message.created', version: 1, occurredAt: h.clock.now().toISOString(), producer: 'chat', data: {} });
  const deliver = (event: EventEnvelope, drafts: readonly Draft[]): Promise<{ deliveries: Delivery[]; statements: string[] }> =>
    h.db.transaction(async (tx) => {
      const counted = counting(tx);
      return { deliveries: await h.notifications.inbox.deliver(counted.tx, event, drafts), statements: counted.statements };
    });
  const rowsOf = async (where: string, params: unknown[]): Promise<number> =>
    (await h.db.query<{ n: number }>(`select count(*)::int as n from notifications.notifications where ${where}`, params)).rows[0]!.n;

  it('200 recipients in a constant number of statements: none to the actor or of a muted type, the first draft per recipient, the unread twin bumped', async () => {
    const actor = randomUUID();
    await h.db.query('insert into notifications.users (id, display_name, updated_at) values ($1, $2, $3)', [actor, 'Ada', h.clock.now()]);
    const r = Array.from({ length: 200 }, (): string => randomUUID());
    // r0–r19 muted chat messages (r0–r9 also get a mention, which is not muted).
    await h.db.query(`insert into notifications.muted_types (user_id, type) select u, 'chat.message' from unnest($1::uuid[]) u`, [r.slice(0, 20)]);
    const chat = (recipientId: string, conversation: string, preview: string): Draft => ({
      recipientId,
      type: 'chat.message',
      actorId: actor,
      target: `/chat/conversations/${conversation}`,
      preview,
      collapseKey: `conversation:${conversation}`,
    });
    const mention = (recipientId: string): Draft => ({ recipientId, type: 'forum.mention', actorId: actor, target: '/forum/posts/p', preview: null });
    const [conv, other] = [randomUUID(), randomUUID()];

    // Before: r30 has an unread twin, r31 a read one, r32 an unread notification of another conversation.
    const before = await deliver(envelope(), [chat(r[30]!, conv, 'one'), chat(r[31]!, conv, 'one'), chat(r[32]!, other, 'elsewhere')]);
    const twin = before.deliveries.find((d) => d.recipientId === r[30])!.notification;
    await h.db.query('update notifications.notifications set read_at = $2 where recipient_id = $1', [r[31], h.clock.now()]);

    const event = envelope();
    const drafts = [...r.slice(20, 30).map(mention), chat(actor, conv, 'two'), ...r.map((id) => chat(id, conv, 'two')), ...r.slice(0, 10).map(mention), mention(actor)];
    const { deliveries, statements } = await deliver(event, drafts);

    expect(statements.length).toBeLessThanOrEqual(6);
    const notified = r.filter((_, i) => i < 10 || i >= 20).sort();
    expect(deliveries.map((d) => d.recipientId)).toEqual(notified);
    const of = new Map(deliveries.map((d) => [d.recipientId, d]));
    const expected = (id: string): Partial<Record<string, unknown>> => {
      const i = r.indexOf(id);
      if (i < 10 || (i >= 20 && i < 30)) return { type: 'forum.mention', seq: 1, count: 1, preview: null, unread: 1 };
      if (i === 30) return { id: twin.id, type: 'chat.message', seq: 2, count: 2, preview: 'two', unread: 1 };
      if (i === 31) return { type: 'chat.message', seq: 2, count: 1, preview: 'two', unread: 1 };
      if (i === 32) return { type: 'chat.message', seq: 2, count: 1, preview: 'two', unread: 2 };
      return { type: 'chat.message', seq: 1, count: 1, preview: 'two', unread: 1 };
    };
    for (const id of notified) {
      const { notification: n, unread } = of.get(id)!;
      expect({ id: n.id, type: n.type, seq: n.seq, count: n.count, preview: n.preview, unread }, id).toMatchObject(expected(id));
      expect([n.actor, n.read, n.updatedAt], id).toEqual([{ id: actor, displayName: 'Ada' }, false, h.clock.now().toISOString()]);
    }
    expect(new Set(deliveries.map((d) => d.notification.id)).size).toBe(notified.length);

    // What the database holds agrees: one row per notified recipient (r30's is its twin), none to the actor or the muted.
    expect(await rowsOf('event_id = $1', [event.id])).toBe(notified.length - 1);
    expect(await rowsOf('recipient_id = $1', [actor])).toBe(0);
    expect(await rowsOf('recipient_id = any($1::uuid[])', [r.slice(10, 20)])).toBe(0);
    const seqs = await h.db.query<{ n: number }>('select count(*)::int as n from notifications.recipients where user_id = any($1::uuid[]) and last_seq = 2', [r.slice(30, 33)]);
    expect(seqs.rows[0]!.n).toBe(3);

    // The same event again writes nothing more.
    const again = await deliver(event, [...r.slice(20, 30).map(mention), ...r.slice(0, 10).map(mention)]);
    expect(again.deliveries).toEqual([]);
    expect(await rowsOf('event_id = $1', [event.id])).toBe(notified.length - 1);
  });

  it('as many statements for 2 recipients as for 200; no statement when the actor alone is named', async () => {
    const actor = randomUUID();
    const draft = (recipientId: string): Draft => ({ recipientId, type: 'forum.comment', actorId: actor, target: '/forum/posts/p', preview: null });
    const few = await deliver(envelope(), [draft(randomUUID()), draft(randomUUID())]);
    const many = await deliver(envelope(), Array.from({ length: 200 }, () => draft(randomUUID())));
    expect([few.deliveries.length, many.deliveries.length]).toEqual([2, 200]);
    expect(many.statements.length).toBe(few.statements.length);
    expect((await deliver(envelope(), [draft(actor)])).statements).toHaveLength(0);
  });
});
