import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleOnce } from '@realchat/bus';
import type { EventEnvelope } from '@realchat/contracts';
import type { EventConsumer } from '@realchat/runtime';
import { eventually, startNotifications, variants, type NotificationsHarness } from './harness.js';

describe.each(variants)('faults: downtime, redelivery, poison events (%s)', (variant) => {
  let h: NotificationsHarness;
  beforeEach(async () => {
    h = await startNotifications(variant);
  });
  afterEach(async () => {
    await h?.close();
  });

  const commentData = (postAuthorId: string, authorId: string) => ({
    commentId: randomUUID(),
    postId: randomUUID(),
    postTitle: 'A post',
    postAuthorId,
    parentId: null,
    parentAuthorId: null,
    authorId,
    mentionedUserIds: [],
    preview: 'hello',
    createdAt: h.clock.now().toISOString(),
  });
  const rowsOf = async (recipientId: string) =>
    (await h.db.query<{ eventId: string; count: number }>('select event_id as "eventId", count from notifications.notifications where recipient_id = $1 order by seq', [recipientId])).rows;
  const consumer = (name: string): EventConsumer => h.notifications.consumers!.find((c) => c.name === name)!;
  /** What the host does with a delivery: the consumer's work, once per event, in one transaction. */
  const deliverAgain = (name: string, event: EventEnvelope) => handleOnce(h.db, 'notifications', `notifications-${name}`, event, async (tx) => void (await consumer(name).handle(event, tx)));

  it('catches up after downtime: every comment written while it was down notifies exactly once', async () => {
    const [postAuthor, author] = [randomUUID(), randomUUID()];
    const before = await h.publish('forum.comment.created', commentData(postAuthor, author));
    await eventually(async () => (await rowsOf(postAuthor)).length === 1);
    await h.host.stop();
    const missed: string[] = [];
    for (let i = 0; i < 5; i++) missed.push((await h.publish('forum.comment.created', commentData(postAuthor, author))).id);
    await new Promise((r) => setTimeout(r, 200));
    expect(await rowsOf(postAuthor)).toHaveLength(1);
    // Back up (a new process on the same database and durable consumer).
    await h.addInstance();
    await eventually(async () => (await rowsOf(postAuthor)).length === 6);
    await new Promise((r) => setTimeout(r, 300));
    expect((await rowsOf(postAuthor)).map((r) => r.eventId)).toEqual([before.id, ...missed]);
  });

  it('an event delivered twice yields one notification (the bus de-duplicates, the consumer handles once, the row is unique per event and recipient)', async () => {
    const [postAuthor, author, bob] = [randomUUID(), randomUUID(), randomUUID()];
    const event = await h.publish('forum.comment.created', commentData(postAuthor, author));
    await eventually(async () => (await rowsOf(postAuthor)).length === 1);
    await h.bus.publish(event);
    expect(await deliverAgain('forum', event)).toBe(false);
    // Even past the processed-events record, the row is unique per (event, recipient).
    await h.db.transaction((tx) => consumer('forum').handle(event, tx));
    // A collapsed chat notification does not count a redelivered message twice.
    const message = await h.publish('chat.message.created', {
      messageId: randomUUID(),
      conversationId: randomUUID(),
      conversationType: 'direct',
      conversationName: null,
      seq: 1,
      senderId: author,
      recipientIds: [bob],
      preview: 'hi',
      createdAt: h.clock.now().toISOString(),
    });
    await eventually(async () => (await rowsOf(bob)).length === 1);
    expect(await deliverAgain('chat', message)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(await rowsOf(postAuthor)).toEqual([{ eventId: event.id, count: 1 }]);
    expect(await rowsOf(bob)).toEqual([{ eventId: message.id, count: 1 }]);
  });

  it('parks a poison event (invalid payload, unknown version) as a dead letter with a log line; the events after it go through', async () => {
    const [postAuthor, author] = [randomUUID(), randomUUID()];
    const poison = await h.publish('forum.comment.created', { commentId: 'not-a-uuid', postId: randomUUID() });
    const future = await h.publish('forum.comment.created', commentData(postAuthor, author), 'forum');
    const v2 = { ...future, id: randomUUID(), version: 2 };
    await h.bus.publish(v2);
    const good = await h.publish('forum.comment.created', commentData(postAuthor, author));
    await eventually(async () => (await rowsOf(postAuthor)).length === 2);
    const parked = await h.db.query<{ eventId: string; consumer: string; type: string; version: number; error: string; payload: EventEnvelope }>(
      'select event_id as "eventId", consumer, type, version, error, payload from notifications.dead_letters order by parked_at, version',
    );
    expect(parked.rows.map((r) => [r.eventId, r.consumer, r.type, r.version])).toEqual([
      [poison.id, 'notifications-forum', 'forum.comment.created', 1],
      [v2.id, 'notifications-forum', 'forum.comment.created', 2],
    ]);
    expect(parked.rows[0]!.error).toMatch(/invalid forum.comment.created v1 data/);
    expect(parked.rows[0]!.payload).toEqual(poison);
    expect((await rowsOf(postAuthor)).map((r) => r.eventId)).toEqual([future.id, good.id]);
    await eventually(() => h.logs.filter((l) => l['msg'] === 'event parked as a dead letter').length === 2);
    expect(h.logs.find((l) => l['msg'] === 'event parked as a dead letter')).toMatchObject({ level: 50, eventId: poison.id, consumer: 'notifications-forum' });
  });
});
