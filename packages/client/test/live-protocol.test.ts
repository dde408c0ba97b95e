import { describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { RealChat, type ChatMessage, type Notification, type WebSocketLike } from '../src/index.js';

/** A scripted server end: the test opens, feeds and closes it; what the client sent is in `sent`. */
class FakeSocket implements WebSocketLike {
  static readonly all: FakeSocket[] = [];
  readonly url: string;
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: Array<Record<string, unknown> & { type: string }> = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(url: string) {
    this.url = url;
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as FakeSocket['sent'][number]);
  }
  close(): void {
    this.readyState = 3;
  }
  /** Opens and answers the client's `auth` with `ready`. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
    this.push({ type: 'ready', userId: 'u', sessionId: 's' });
  }
  push(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  ofType(type: string): FakeSocket['sent'] {
    return this.sent.filter((f) => f.type === type);
  }
}

const CONVERSATION = '0190a5a0-0000-7000-8000-000000000001';
const message = (seq: number): ChatMessage => ({ id: `m${seq}`, conversationId: CONVERSATION, seq, senderId: 'u2', clientMsgId: `c${seq}`, body: `#${seq}`, createdAt: '', editedAt: null, deletedAt: null, reactions: [] });
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** A signed-in client whose auth service answers /auth/refresh with `refresh` (a new token by default). */
async function signedIn(options: { refresh?: () => Response; random?: () => number } = {}) {
  const clock = new ManualClock(Date.now());
  let issued = 0;
  const tokens = (): Response => Response.json({ access_token: `t${++issued}`, token_type: 'Bearer', expires_in: 900, refresh_token: `r${issued}`, refresh_expires_in: 86_400 });
  const rc = new RealChat({
    baseUrl: 'http://realchat.test',
    transport: 'body',
    clock,
    random: options.random ?? (() => 1),
    WebSocket: FakeSocket,
    fetch: async (request) => (new URL(request.url).pathname === '/auth/refresh' ? (options.refresh ?? tokens)() : tokens()),
  });
  await rc.login({ email: 'ada@example.com', password: 'x' });
  FakeSocket.all.length = 0;
  return { rc, clock };
}

/** The socket the client opened last, once it did. */
async function latest(): Promise<FakeSocket> {
  await flush();
  const socket = FakeSocket.all.at(-1);
  if (socket === undefined) throw new Error('no socket opened');
  return socket;
}

const notification = (seq: number): Notification => ({ id: `n${seq}`, seq, type: 'forum.comment', actor: null, target: '/forum/posts/p', preview: null, count: 1, read: false, createdAt: '', updatedAt: '' });

describe('ChatLive protocol (scripted server)', () => {
  it('delivers message.new in seq order and once: a skipped seq is held and resumed from the cursor', async () => {
    const { rc } = await signedIn();
    const live = rc.chatLive({ cursors: { [CONVERSATION]: 5 } });
    const socket = await latest();
    socket.accept();
    expect(socket.ofType('resume')).toEqual([{ type: 'resume', cursors: { [CONVERSATION]: 5 } }]);
    socket.push({ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 5 }], truncated: [] });
    const seqs: number[] = [];
    live.on('message.new', (e) => seqs.push(e.message.seq));
    socket.push({ type: 'message.new', message: message(6) });
    socket.push({ type: 'message.new', message: message(8) });
    socket.push({ type: 'message.new', message: message(9) });
    expect(seqs).toEqual([6]);
    // One resume for the gap, from the last seq delivered without one missing.
    expect(socket.ofType('resume').slice(1)).toEqual([{ type: 'resume', cursors: { [CONVERSATION]: 6 } }]);
    socket.push({ type: 'message.new', message: message(7) });
    socket.push({ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 9 }], truncated: [] });
    socket.push({ type: 'message.new', message: message(8) });
    expect(seqs).toEqual([6, 7, 8, 9]);
    expect(live.cursor(CONVERSATION)).toBe(9);
    live.close();
  });

  it('asks again, every 3 s by its clock, for a gap whose resume was not answered', async () => {
    const { rc, clock } = await signedIn();
    const live = rc.chatLive({ cursors: { [CONVERSATION]: 5 } });
    const socket = await latest();
    socket.accept();
    socket.push({ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 5 }], truncated: [] });
    const seqs: number[] = [];
    live.on('message.new', (e) => seqs.push(e.message.seq));
    socket.push({ type: 'message.new', message: message(7) });
    const gapResume = { type: 'resume', cursors: { [CONVERSATION]: 5 } };
    expect(socket.ofType('resume').slice(1)).toEqual([gapResume]);
    clock.advance(2_999);
    expect(socket.ofType('resume')).toHaveLength(2);
    clock.advance(1);
    expect(socket.ofType('resume').slice(1)).toEqual([gapResume, gapResume]);
    // Both are answered in turn; the first answer fills the gap, and no timer is left to ask a third time.
    socket.push({ type: 'message.new', message: message(6) });
    socket.push({ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 7 }], truncated: [] });
    socket.push({ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 7 }], truncated: [] });
    expect(seqs).toEqual([6, 7]);
    clock.advance(10_000);
    expect(socket.ofType('resume')).toHaveLength(3);
    live.close();
  });

  it('a gap the resume cannot fill (truncated) is reported, and delivery goes on past it', async () => {
    const { rc } = await signedIn();
    const live = rc.chatLive({ cursors: { [CONVERSATION]: 1 } });
    const socket = await latest();
    socket.accept();
    socket.push({ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 1 }], truncated: [] });
    const seqs: number[] = [];
    live.on('message.new', (e) => seqs.push(e.message.seq));
    const reports: unknown[] = [];
    live.on('resumed', (e) => reports.push(e));
    socket.push({ type: 'message.new', message: message(500) });
    socket.push({ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 500 }], truncated: [CONVERSATION] });
    socket.push({ type: 'message.new', message: message(501) });
    expect(seqs).toEqual([500, 501]);
    expect(reports).toEqual([{ type: 'resumed', conversations: [{ id: CONVERSATION, lastSeq: 500 }], truncated: [CONVERSATION] }]);
    live.close();
  });

  it('reconnects after exponentially growing, jittered delays by its clock, reset by a successful connection', async () => {
    const { rc, clock } = await signedIn({ random: () => 0.5 });
    const live = rc.chatLive();
    (await latest()).drop();
    // Ceilings 500, 1000, 2000 ms; the jitter (0.5 here) picks within them.
    for (const delay of [250, 500, 1000]) {
      const count = FakeSocket.all.length;
      clock.advance(delay - 1);
      await flush();
      expect(FakeSocket.all.length).toBe(count);
      clock.advance(1);
      const socket = await latest();
      expect(FakeSocket.all.length).toBe(count + 1);
      if (delay < 1000) socket.drop();
      else socket.accept();
    }
    expect(live.state).toBe('open');
    (await latest()).drop();
    clock.advance(250);
    await flush();
    expect(FakeSocket.all).toHaveLength(5);
    live.close();
  });

  it('a connection silent for a heartbeat after its ping is given up and replaced', async () => {
    const { rc, clock } = await signedIn();
    const live = rc.chatLive();
    const first = await latest();
    first.accept();
    clock.advance(30_000);
    expect(first.ofType('ping')).toHaveLength(1);
    first.push({ type: 'pong' });
    clock.advance(30_000);
    expect(first.ofType('ping')).toHaveLength(2);
    // No answer to the second ping: dead, though it never closed.
    clock.advance(30_000);
    expect(live.state).toBe('reconnecting');
    clock.advance(500);
    const second = await latest();
    expect(second).not.toBe(first);
    second.accept();
    expect(live.state).toBe('open');
    live.close();
  });

  it('resends unanswered sends with the same clientMsgId after a reconnect, at most 32 on the wire, resolving each with its ack', async () => {
    const { rc, clock } = await signedIn();
    const live = rc.chatLive();
    const first = await latest();
    first.accept();
    const acks = Array.from({ length: 40 }, (_, i) => live.send(CONVERSATION, `b${i}`, `id${i}`));
    expect(first.ofType('message.send').map((f) => f.clientMsgId)).toEqual(Array.from({ length: 32 }, (_, i) => `id${i}`));
    first.push({ type: 'message.ack', clientMsgId: 'id0', id: 'm0', seq: 1, createdAt: '' });
    expect(first.ofType('message.send')).toHaveLength(33);
    first.drop();
    clock.advance(500);
    const second = await latest();
    second.accept();
    expect(second.sent.map((f) => f.type)).toEqual(['auth', 'resume', ...Array<string>(32).fill('message.send')]);
    expect(second.ofType('message.send')[0]).toMatchObject({ clientMsgId: 'id1', body: 'b1' });
    for (let i = 1; i < 40; i++) second.push({ type: 'message.ack', clientMsgId: `id${i}`, id: `m${i}`, seq: i + 1, createdAt: '' });
    expect((await Promise.all(acks)).map((a) => a.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // A refusal no send awaits is an `error` event.
    const errors: unknown[] = [];
    live.on('error', (e) => errors.push(e));
    second.push({ type: 'error', code: 'BLOCKED', ref: 'typing-1' });
    expect(errors).toEqual([{ type: 'error', code: 'BLOCKED', ref: 'typing-1' }]);
    live.close();
  });

  it('a refused send fails with its code; on a 4401 close it refreshes the token and reconnects with the new one', async () => {
    const { rc, clock } = await signedIn();
    const live = rc.chatLive();
    const first = await latest();
    first.accept();
    const refused = live.send(CONVERSATION, 'no', 'x1');
    first.push({ type: 'error', code: 'NOT_A_MEMBER', ref: 'x1' });
    await expect(refused).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    const before = rc.session.accessToken;
    first.drop(4401);
    await flush();
    expect(rc.session.accessToken).not.toBe(before);
    clock.advance(500);
    const second = await latest();
    second.accept();
    expect(second.sent[0]).toEqual({ type: 'auth', token: rc.session.accessToken, ref: 'auth' });
    live.close();
  });

  it('stops for good when the session is over (4401, refresh refused): stopped (signed-out), pending sends fail with SIGNED_OUT', async () => {
    const { rc } = await signedIn({ refresh: () => Response.json({ code: 'INVALID_GRANT' }, { status: 401 }) });
    const live = rc.chatLive();
    const socket = await latest();
    socket.accept();
    const pending = live.send(CONVERSATION, 'never acked');
    const stopped = new Promise((resolve) => live.on('stopped', resolve));
    socket.drop(4401);
    expect(await stopped).toEqual({ reason: 'signed-out' });
    await expect(pending).rejects.toMatchObject({ code: 'SIGNED_OUT' });
    expect(live.state).toBe('closed');
    expect(rc.session.signedIn).toBe(false);
  });
});

describe('NotificationsLive protocol (scripted server)', () => {
  it('resumes after its cursor on each connection; notification.new in seq order and once; unread counts', async () => {
    const { rc, clock } = await signedIn();
    const live = rc.notificationsLive({ after: 3 });
    const first = await latest();
    expect(first.url).toBe('ws://realchat.test/notifications/ws');
    first.accept();
    expect(first.ofType('resume')).toEqual([{ type: 'resume', after: 3 }]);
    const seqs: number[] = [];
    const unread: number[] = [];
    live.on('notification.new', (e) => seqs.push(e.notification.seq));
    live.on('unread', (e) => unread.push(e.count));
    first.push({ type: 'notification.new', notification: notification(4) });
    first.push({ type: 'resumed', lastSeq: 4, truncated: false });
    first.push({ type: 'unread', count: 2 });
    // A skipped seq: held, and one resume from the cursor.
    first.push({ type: 'notification.new', notification: notification(6) });
    first.push({ type: 'notification.new', notification: notification(7) });
    expect(first.ofType('resume').slice(1)).toEqual([{ type: 'resume', after: 4 }]);
    first.push({ type: 'notification.new', notification: notification(5) });
    first.push({ type: 'resumed', lastSeq: 5, truncated: false });
    first.push({ type: 'notification.new', notification: notification(6) });
    expect(seqs).toEqual([4, 5, 6, 7]);
    expect(unread).toEqual([2]);
    first.drop();
    clock.advance(500);
    const second = await latest();
    second.accept();
    expect(second.ofType('resume')).toEqual([{ type: 'resume', after: 7 }]);
    live.close();
  });
});
