import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, inboxOf, inboxWith, login, signUp, startNotifications, variants, type InboxPage, type NotificationsHarness } from './harness.js';

describe.each(variants)('notifications: each event → the right notification for the right users (%s)', (variant) => {
  let h: NotificationsHarness;
  beforeAll(async () => {
    h = await startNotifications(variant);
  });
  afterAll(async () => {
    await h?.close();
  });

  const comment = (c: { postAuthor: string; author: string; parentAuthor?: string; mentioned?: string[]; postId?: string; commentId?: string }) =>
    h.publish('forum.comment.created', {
      commentId: c.commentId ?? randomUUID(),
      postId: c.postId ?? randomUUID(),
      postTitle: 'A post',
      postAuthorId: c.postAuthor,
      parentId: c.parentAuthor === undefined ? null : randomUUID(),
      parentAuthorId: c.parentAuthor ?? null,
      authorId: c.author,
      mentionedUserIds: c.mentioned ?? [],
      preview: 'Nice post',
      createdAt: h.clock.now().toISOString(),
    });
  const message = (senderId: string, recipientIds: string[], conversationId: string, preview: string) =>
    h.publish('chat.message.created', {
      messageId: randomUUID(),
      conversationId,
      conversationType: 'group',
      conversationName: null,
      seq: 1,
      senderId,
      recipientIds,
      preview,
      createdAt: h.clock.now().toISOString(),
    });
  const count = async (userId: string): Promise<number> =>
    (await h.db.query<{ n: number }>('select count(*)::int as n from notifications.notifications where recipient_id = $1', [userId])).rows[0]!.n;

  it('a comment: the post author (forum.comment), the parent author (forum.reply), the mentioned (forum.mention); never the author; one per person', async () => {
    const [post, parent, mentioned, author, both] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h, 'Author'), await signUp(h)];
    const postId = randomUUID();
    const commentId = randomUUID();
    await comment({ postId, commentId, postAuthor: post.id, author: author.id, parentAuthor: parent.id, mentioned: [mentioned.id, author.id] });
    const expected = { actor: { id: author.id, displayName: 'Author' }, target: `/forum/posts/${postId}#comment-${commentId}`, preview: 'Nice post', count: 1, read: false };
    expect((await inboxWith(h, post, 1)).items).toEqual([expect.objectContaining({ ...expected, type: 'forum.comment' })]);
    expect((await inboxWith(h, parent, 1)).items).toEqual([expect.objectContaining({ ...expected, type: 'forum.reply' })]);
    expect((await inboxWith(h, mentioned, 1)).items).toEqual([expect.objectContaining({ ...expected, type: 'forum.mention' })]);
    // A reply to `both` that also mentions them on their own post: one notification, the reply.
    await comment({ postAuthor: both.id, author: author.id, parentAuthor: both.id, mentioned: [both.id] });
    expect((await inboxWith(h, both, 1)).items.map((n) => n.type)).toEqual(['forum.reply']);
    expect(await count(author.id)).toBe(0);
    expect(await count(both.id)).toBe(1);
  });

  it('a post notifies the users it mentions, not its author', async () => {
    const [ada, author] = [await signUp(h), await signUp(h, 'Author')];
    const postId = randomUUID();
    await h.publish('forum.post.created', { postId, categoryId: randomUUID(), authorId: author.id, title: 'Hello @Ada', mentionedUserIds: [ada.id, author.id], createdAt: h.clock.now().toISOString() });
    expect((await inboxWith(h, ada, 1)).items).toEqual([expect.objectContaining({ type: 'forum.mention', actor: { id: author.id, displayName: 'Author' }, target: `/forum/posts/${postId}`, preview: 'Hello @Ada' })]);
    expect(await count(author.id)).toBe(0);
  });

  it('a friend request notifies its addressee, its acceptance the requester', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    const requestId = randomUUID();
    const at = h.clock.now().toISOString();
    await h.publish('chat.friend_request.created', { requestId, fromUserId: ada.id, toUserId: bob.id, createdAt: at });
    expect((await inboxWith(h, bob, 1)).items).toEqual([expect.objectContaining({ type: 'chat.friend_request', actor: { id: ada.id, displayName: 'Ada' } })]);
    await h.publish('chat.friend_request.accepted', { requestId, fromUserId: ada.id, toUserId: bob.id, acceptedAt: at });
    expect((await inboxWith(h, ada, 1)).items).toEqual([expect.objectContaining({ type: 'chat.friend_accepted', actor: { id: bob.id, displayName: 'Bob' } })]);
    expect((await inboxOf(h, bob)).items).toHaveLength(1);
  });

  it('chat messages notify offline recipients only, collapsed per conversation while unread, with a new seq each time', async () => {
    const [ada, bob, cy] = [await signUp(h), await signUp(h), await signUp(h)];
    const conv = randomUUID();
    const online = await connect(h.wsUrl, cy);
    await message(ada.id, [bob.id, cy.id], conv, 'one');
    const first = (await inboxWith(h, bob, 1)).items[0]!;
    expect(first).toMatchObject({ type: 'chat.message', count: 1, target: `/chat/conversations/${conv}`, preview: 'one', actor: { id: ada.id } });
    await message(ada.id, [bob.id, cy.id], conv, 'two');
    let page: InboxPage | undefined;
    await expect.poll(async () => (page = await inboxOf(h, bob)).items[0]?.count).toBe(2);
    expect(page!.items).toHaveLength(1);
    expect(page!.items[0]).toMatchObject({ id: first.id, preview: 'two', count: 2 });
    expect(page!.items[0]!.seq).toBeGreaterThan(first.seq);
    expect(page!.unreadCount).toBe(1);
    // Another conversation is another notification; once read, the next message starts a new one.
    await message(ada.id, [bob.id], randomUUID(), 'elsewhere');
    await inboxWith(h, bob, 2);
    expect((await call(h, bob, 'POST', `/notifications/${first.id}/read`)).status).toBe(200);
    await message(ada.id, [bob.id], conv, 'three');
    const after = await inboxWith(h, bob, 3);
    expect(after.items.map((n) => [n.preview, n.count, n.read])).toEqual([['three', 1, false], ['elsewhere', 1, false], ['two', 2, true]]);
    // Cy had a socket open all along: nothing for them.
    expect(await count(cy.id)).toBe(0);
    online.close();
  });

  it('a sign-in from a new device notifies the account (auth.new_device); the same device again does not', async () => {
    const ada = await signUp(h);
    await login(h, ada.email, 'test-agent');
    await login(h, ada.email, 'Firefox/140 on a new laptop');
    const page = await inboxWith(h, ada, 1);
    expect(page.items).toEqual([expect.objectContaining({ type: 'auth.new_device', actor: null, preview: 'Firefox/140 on a new laptop' })]);
    expect(page.items[0]!.target).toMatch(/^\/auth\/sessions\/[0-9a-f-]{36}$/);
    await login(h, ada.email, 'Firefox/140 on a new laptop');
    await login(h, ada.email, 'test-agent');
    const other = await signUp(h);
    // Auth's events are handled in order: once this one is in, the ones before it were.
    await login(h, other.email, 'another device');
    await inboxWith(h, other, 1);
    expect((await inboxOf(h, ada)).items).toHaveLength(1);
  });

  it('muted types create nothing; preferences list every type and refuse an unknown one', async () => {
    const [ada, bob] = [await signUp(h), await signUp(h)];
    const prefs = await call<{ muted: string[]; types: string[] }>(h, ada, 'GET', '/notifications/preferences');
    expect(prefs.body).toEqual({ muted: [], types: expect.arrayContaining(['forum.comment', 'forum.reply', 'forum.mention', 'chat.friend_request', 'chat.friend_accepted', 'chat.message', 'auth.new_device']) });
    const put = await call<{ muted: string[] }>(h, ada, 'PUT', '/notifications/preferences', { muted: ['forum.comment', 'forum.comment'] });
    expect([put.status, put.body.muted]).toEqual([200, ['forum.comment']]);
    const bad = await call<{ code: string }>(h, ada, 'PUT', '/notifications/preferences', { muted: ['forum.nope'] });
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    await comment({ postAuthor: ada.id, author: bob.id });
    await comment({ postAuthor: ada.id, author: bob.id, mentioned: [ada.id] });
    // The mention is not muted: it arrives (a muted type gives way to the next that concerns the user), the plain comment never does.
    expect((await inboxWith(h, ada, 1)).items.map((n) => n.type)).toEqual(['forum.mention']);
    expect(await count(ada.id)).toBe(1);
  });

  it('read, read-all and delete: own notifications only (404 for another\'s), with the unread count', async () => {
    const [ada, bob] = [await signUp(h), await signUp(h)];
    for (let i = 0; i < 3; i++) await comment({ postAuthor: ada.id, author: bob.id });
    const page = await inboxWith(h, ada, 3);
    expect(page.unreadCount).toBe(3);
    const [newest, middle, oldest] = page.items;
    expect((await call(h, bob, 'POST', `/notifications/${newest!.id}/read`)).status).toBe(404);
    expect((await call(h, bob, 'DELETE', `/notifications/${newest!.id}`)).status).toBe(404);
    expect((await call(h, ada, 'POST', `/notifications/not-a-uuid/read`)).status).toBe(400);
    const read = await call<{ read: boolean }>(h, ada, 'POST', `/notifications/${newest!.id}/read`);
    expect([read.status, read.body.read]).toEqual([200, true]);
    expect((await inboxOf(h, ada)).unreadCount).toBe(2);
    expect((await call(h, ada, 'DELETE', `/notifications/${middle!.id}`)).status).toBe(204);
    expect((await call(h, ada, 'DELETE', `/notifications/${middle!.id}`)).status).toBe(404);
    expect((await call<{ marked: number }>(h, ada, 'POST', '/notifications/read-all')).body).toEqual({ marked: 1 });
    const after = await inboxOf(h, ada);
    expect([after.unreadCount, after.items.map((n) => [n.id, n.read])]).toEqual([0, [[newest!.id, true], [oldest!.id, true]]]);
  });

  it('pages by keyset: empty, exactly one page, stable while rows arrive; a malformed cursor or a limit over the cap is 400', async () => {
    const [ada, bob] = [await signUp(h), await signUp(h)];
    expect((await call(h, ada, 'GET', '/notifications')).body).toEqual({ items: [], nextCursor: null, unreadCount: 0 });
    for (let i = 0; i < 4; i++) await comment({ postAuthor: ada.id, author: bob.id });
    await inboxWith(h, ada, 4);
    const whole = await call<InboxPage>(h, ada, 'GET', '/notifications?limit=4');
    expect([whole.body.items.length, whole.body.nextCursor]).toEqual([4, null]);
    const seqs = whole.body.items.map((n) => n.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const first = await call<InboxPage>(h, ada, 'GET', '/notifications?limit=3');
    expect(first.body.items.map((n) => n.seq)).toEqual(seqs.slice(0, 3));
    // Two arrive between the pages: the second page goes on where the first stopped.
    await comment({ postAuthor: ada.id, author: bob.id });
    await comment({ postAuthor: ada.id, author: bob.id });
    await inboxWith(h, ada, 6);
    const second = await call<InboxPage>(h, ada, 'GET', `/notifications?limit=3&cursor=${first.body.nextCursor}`);
    expect([second.body.items.map((n) => n.seq), second.body.nextCursor, second.body.unreadCount]).toEqual([seqs.slice(3), null, 6]);
    for (const cursor of ['garbage!', 'eyJ4IjoxfQ', Buffer.from('[-1]').toString('base64url')]) {
      const res = await call<{ code: string }>(h, ada, 'GET', `/notifications?cursor=${cursor}`);
      expect([res.status, res.body.code], cursor).toEqual([400, 'INVALID_CURSOR']);
    }
    expect((await call<{ code: string }>(h, ada, 'GET', '/notifications?limit=101')).body.code).toBe('VALIDATION_FAILED');
  });

  it('needs a user token', async () => {
    expect((await call(h, null, 'GET', '/notifications')).status).toBe(401);
    expect((await call(h, null, 'POST', '/notifications/read-all')).status).toBe(401);
    const doc = await call<Record<string, unknown>>(h, null, 'GET', '/notifications/openapi.json');
    expect(doc.body['x-realchat-service']).toMatchObject({ name: 'notifications', prefixes: ['/notifications'], websockets: ['/notifications/ws'] });
  });
});

