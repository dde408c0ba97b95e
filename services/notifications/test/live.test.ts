import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, eventually, inboxWith, openSocket, signUp, startNotifications, variants, type Frame, type NotificationsHarness, type TestSocket } from './harness.js';

const AUTH_TIMEOUT_MS = 5_000;

/** Sends a ping and waits for its pong: every frame the server sent before it has arrived. */
async function roundTrip(socket: TestSocket): Promise<void> {
  socket.send({ type: 'ping' });
  await socket.next((f) => f.type === 'pong');
}

const news = (socket: TestSocket): Frame[] => socket.frames.filter((f) => f.type === 'notification.new');
const seqOf = (frame: Frame): number => (frame['notification'] as { seq: number }).seq;

function closeCode(socket: TestSocket, ms = 5_000): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    socket.closed().finally(() => clearTimeout(timer)),
    new Promise<number>((_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms))),
  ]);
}

describe.each(variants)('live: /notifications/ws through the gateway (%s)', (variant) => {
  let h: NotificationsHarness;
  beforeAll(async () => {
    h = await startNotifications(variant, { env: { NOTIFICATIONS_RESUME_MAX: '3', NOTIFICATIONS_AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS) } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const comment = (postAuthorId: string, authorId: string) =>
    h.publish('forum.comment.created', {
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

  it('answers auth with ready then unread; a frame before auth is NOT_AUTHENTICATED, a bad one BAD_FRAME; no auth in time is 4401', async () => {
    const ada = await signUp(h);
    const socket = await openSocket(h.wsUrl);
    socket.send({ type: 'resume', after: 0, ref: 'early' });
    expect(await socket.next((f) => f.type === 'error')).toEqual({ type: 'error', code: 'NOT_AUTHENTICATED', ref: 'early' });
    socket.send({ type: 'resume', after: -1, ref: 'bad' });
    expect(await socket.next((f) => f.type === 'error')).toEqual({ type: 'error', code: 'BAD_FRAME', ref: 'bad' });
    socket.send('not json');
    expect(await socket.next((f) => f.type === 'error')).toEqual({ type: 'error', code: 'BAD_FRAME' });
    socket.send({ type: 'auth', token: ada.token });
    expect(await socket.next((f) => f.type === 'ready')).toEqual({ type: 'ready', userId: ada.id, sessionId: ada.sessionId });
    expect(await socket.next((f) => f.type === 'unread')).toEqual({ type: 'unread', count: 0 });
    const silent = await openSocket(h.wsUrl);
    h.clock.advance(AUTH_TIMEOUT_MS);
    expect(await closeCode(silent)).toBe(4401);
    await roundTrip(socket);
    socket.close();
  });

  it('pushes notification.new and unread to every socket of the recipient within a second, and to nobody else', async () => {
    const [ada, bob] = [await signUp(h), await signUp(h, 'Bob')];
    const [phone, laptop, other] = [await connect(h.wsUrl, ada), await connect(h.wsUrl, ada), await connect(h.wsUrl, bob)];
    const started = Date.now();
    await comment(ada.id, bob.id);
    for (const socket of [phone, laptop]) {
      const frame = await socket.next((f) => f.type === 'notification.new', 1_000);
      expect(frame['notification']).toMatchObject({ type: 'forum.comment', actor: { id: bob.id, displayName: 'Bob' }, seq: 1, read: false });
      expect(await socket.next((f) => f.type === 'unread', 1_000)).toEqual({ type: 'unread', count: 1 });
    }
    expect(Date.now() - started).toBeLessThan(1_000);
    await roundTrip(other);
    expect(news(other)).toEqual([]);
    // Reading on one device updates the badge on the others.
    const id = (news(phone)[0]!['notification'] as { id: string }).id;
    expect((await call(h, ada, 'POST', `/notifications/${id}/read`)).status).toBe(200);
    expect(await laptop.next((f) => f.type === 'unread')).toEqual({ type: 'unread', count: 0 });
    for (const s of [phone, laptop, other]) s.close();
  });

  it('resume {after} replays what the socket missed, oldest first, then resumed and unread; past NOTIFICATIONS_RESUME_MAX it says truncated', async () => {
    const [ada, bob] = [await signUp(h), await signUp(h)];
    for (let i = 0; i < 2; i++) await comment(ada.id, bob.id);
    await inboxWith(h, ada, 2);
    const socket = await connect(h.wsUrl, ada);
    socket.send({ type: 'resume', after: 0 });
    expect(await socket.next((f) => f.type === 'resumed')).toEqual({ type: 'resumed', lastSeq: 2, truncated: false });
    expect(await socket.next((f) => f.type === 'unread')).toEqual({ type: 'unread', count: 2 });
    expect(news(socket).map(seqOf)).toEqual([1, 2]);
    // Live and cold share the cursor: a resume from 1 sends nothing twice on this socket.
    socket.send({ type: 'resume', after: 1 });
    await socket.next((f) => f.type === 'resumed');
    expect(news(socket).map(seqOf)).toEqual([1, 2]);
    for (let i = 0; i < 4; i++) await comment(ada.id, bob.id);
    await inboxWith(h, ada, 6);
    const late = await connect(h.wsUrl, ada);
    late.send({ type: 'resume', after: 1 });
    expect(await late.next((f) => f.type === 'resumed')).toEqual({ type: 'resumed', lastSeq: 4, truncated: true });
    expect(news(late).map(seqOf)).toEqual([2, 3, 4]);
    socket.close();
    late.close();
  });

  it('closes the socket with 4401 when its session is revoked', async () => {
    const ada = await signUp(h);
    const socket = await connect(h.wsUrl, ada);
    expect((await call(h, ada, 'POST', '/auth/logout-all')).status).toBe(204);
    expect(await closeCode(socket)).toBe(4401);
  });

  it('counts a user online while a socket is open on any instance: a chat message then notifies nobody', async () => {
    const [ada, bob] = [await signUp(h), await signUp(h)];
    const other = await h.addInstance();
    const socket = await connect(other.wsUrl, bob);
    const conv = randomUUID();
    const message = () =>
      h.publish('chat.message.created', { messageId: randomUUID(), conversationId: conv, conversationType: 'direct', conversationName: null, seq: 1, senderId: ada.id, recipientIds: [bob.id], preview: 'hi', createdAt: h.clock.now().toISOString() });
    await eventually(() => h.notifications.online.isOnline(bob.id));
    await message();
    // A comment after it, to know the message was handled.
    await comment(bob.id, ada.id);
    await socket.next((f) => f.type === 'notification.new');
    expect(news(socket).map((f) => (f['notification'] as { type: string }).type)).toEqual(['forum.comment']);
    socket.close();
    await eventually(async () => !(await h.notifications.online.isOnline(bob.id)));
    await message();
    expect((await inboxWith(h, bob, 2)).items.map((n) => n.type)).toEqual(['chat.message', 'forum.comment']);
    await other.close();
  });

  it('shows its open sockets and the notifications it created on /metrics', async () => {
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${h.base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return Number(line?.slice(name.length + 1));
    };
    const [open, created] = [await metric('notifications_sockets_open'), await metric('notifications_created_total')];
    expect([open, created, await metric('notifications_dead_letters_total')].every(Number.isFinite)).toBe(true);
    const [ada, bob] = [await signUp(h), await signUp(h)];
    const socket = await connect(h.wsUrl, ada);
    expect(await metric('notifications_sockets_open')).toBe(open + 1);
    await comment(ada.id, bob.id);
    await socket.next((f) => f.type === 'notification.new');
    expect(await metric('notifications_created_total')).toBe(created + 1);
    socket.close();
    await eventually(async () => (await metric('notifications_sockets_open')) === open);
  });

  it('closes every socket with 1012 at shutdown', async () => {
    const socket = await connect(h.wsUrl, await signUp(h));
    await h.host.stop();
    expect(await closeCode(socket)).toBe(1012);
  });
});
