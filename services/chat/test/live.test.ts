import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { UserPrincipal } from '@realchat/auth-verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessLiveChannel, createNatsLiveChannel } from '@realchat/bus';
import { createTcpProxy } from '@realchat/db/testing';
import { createMemoryStore } from '@realchat/store';
import { ManualClock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import { silentLogger } from '@realchat/logging';
import { Hub, type LocalSocket } from '../src/live/hub.js';
import { Presence } from '../src/live/presence.js';
import { ChatSocket, type SocketHost } from '../src/live/socket.js';
import type { ChatContext } from '../src/context.js';
import type { ChatMessage, LiveFrame, Messaging, People, SendInput, SendResult } from '../src/domain/types.js';
import { ChatErrors } from '../src/errors.js';
import { call, connect, eventually, openSocket, PASSWORD, signUp, startChat, variants, type ChatHarness, type TestSocket, type TestUser } from './harness.js';

type Frame = TestSocket['frames'][number];

const RESUME_MAX = 4;
const AUTH_TIMEOUT_MS = 5_000;

/** The `exp` of an access token, in epoch ms. */
const expiryOf = (token: string): number => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp * 1000;

/** Sends a ping and waits for its pong: every frame the server sent the socket before it has arrived. */
async function roundTrip(socket: TestSocket): Promise<void> {
  const ref = randomUUID();
  socket.send({ type: 'ping', ref });
  await socket.next((f) => f.type === 'pong');
}

const ofType = (socket: TestSocket, type: string): Frame[] => socket.frames.filter((f) => f.type === type);

/** The socket's close code, failing the test when it stays open longer than `ms` (real time). */
function closeCode(socket: TestSocket, ms = 5_000): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    socket.closed().finally(() => clearTimeout(timer)),
    new Promise<number>((_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms))),
  ]);
}

describe.each(variants)('live: the /chat/ws socket, hub and presence (%s)', (variant) => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChat(variant, { env: { CHAT_RESUME_MAX_MESSAGES: String(RESUME_MAX), CHAT_AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS) } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const befriend = async (a: TestUser, b: TestUser): Promise<void> => {
    const sent = await call<{ id: string }>(h, a, 'POST', '/chat/friends/requests', { userId: b.id });
    expect(sent.status).toBe(201);
    expect((await call(h, b, 'POST', `/chat/friends/requests/${sent.body.id}/accept`)).status).toBe(200);
  };
  /** A group of `members` created over REST by the first (a friend of the others). */
  const conversation = async (members: readonly TestUser[]): Promise<string> => {
    const [owner, ...others] = members;
    const made = await call<{ id: string }>(h, owner!, 'POST', '/chat/conversations', { type: 'group', name: 'Test', memberIds: others.map((m) => m.id) });
    expect(made.status).toBe(201);
    return made.body.id;
  };
  const storedMessages = async (conversationId: string): Promise<number> => (await h.db.query<{ n: number }>('select count(*)::int as n from chat.messages where conversation_id = $1', [conversationId])).rows[0]!.n;
  const send = async (socket: TestSocket, conversationId: string, body: string, clientMsgId: string = randomUUID()): Promise<Frame> => {
    socket.send({ type: 'message.send', conversationId, clientMsgId, body });
    return socket.next((f) => (f.type === 'message.ack' || f.type === 'error') && (f['clientMsgId'] === clientMsgId || f['ref'] === clientMsgId));
  };
  const login = async (user: TestUser): Promise<string> => {
    const res = await call<{ access_token: string }>(h, null, 'POST', '/auth/login', { email: user.email, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body.access_token;
  };

  it('answers auth with ready, ping with pong; a frame before auth is NOT_AUTHENTICATED and the socket stays open', async () => {
    const ada = await signUp(h, 'Ada');
    const socket = await openSocket(h);
    socket.send({ type: 'typing', conversationId: randomUUID(), ref: 'early' });
    expect(await socket.next((f) => f.type === 'error')).toEqual({ type: 'error', code: 'NOT_AUTHENTICATED', ref: 'early' });
    socket.send({ type: 'auth', token: 'not-a-token', ref: 'bad' });
    expect(await socket.next((f) => f.type === 'error')).toMatchObject({ type: 'error', code: 'INVALID_TOKEN', ref: 'bad' });
    socket.send({ type: 'auth', token: ada.token });
    expect(await socket.next((f) => f.type === 'ready')).toEqual({ type: 'ready', userId: ada.id, sessionId: ada.sessionId });
    await roundTrip(socket);
    socket.close();
  });

  it('closes a socket without a valid auth within CHAT_AUTH_TIMEOUT_MS with 4401 (by the clock)', async () => {
    const ada = await signUp(h, 'Ada');
    const [silent, authed] = [await openSocket(h), await connect(h, ada)];
    h.clock.advance(AUTH_TIMEOUT_MS - 1);
    await roundTrip(authed);
    expect(silent.ws.readyState).toBe(silent.ws.OPEN);
    h.clock.advance(1);
    expect(await closeCode(silent)).toBe(4401);
    await roundTrip(authed);
    authed.close();
  });

  it('closes at the token\'s expiry unless a refreshed token was swapped in; an invalid swap keeps the old one', async () => {
    const ada = await signUp(h, 'Ada');
    const [kept, swapped] = [await connect(h, ada), await connect(h, ada)];
    const firstExpiry = expiryOf(ada.token);
    h.clock.advance(firstExpiry - h.clock.now().getTime() - 60_000);
    const fresh = await login(ada);
    expect(expiryOf(fresh)).toBeGreaterThan(firstExpiry);
    swapped.send({ type: 'auth', token: 'garbage', ref: 'swap1' });
    expect(await swapped.next((f) => f.type === 'error')).toMatchObject({ code: 'INVALID_TOKEN', ref: 'swap1' });
    swapped.send({ type: 'auth', token: fresh });
    expect(await swapped.next((f) => f.type === 'ready')).toMatchObject({ userId: ada.id });
    h.clock.advance(60_000);
    expect(await closeCode(kept)).toBe(4401);
    await roundTrip(swapped);
    h.clock.advance(expiryOf(fresh) - h.clock.now().getTime());
    expect(await closeCode(swapped)).toBe(4401);
  });

  it('closes a socket sending a frame over 64 KiB with 1009 (the host\'s maxPayload)', async () => {
    const ada = await signUp(h, 'Ada');
    const socket = await connect(h, ada);
    socket.send({ type: 'message.send', conversationId: randomUUID(), clientMsgId: 'big', body: 'x'.repeat(65 * 1024) });
    expect(await closeCode(socket)).toBe(1009);
  });

  it('closes with 4409 when an auth frame names another user', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    const socket = await connect(h, ada);
    socket.send({ type: 'auth', token: bob.token });
    expect(await closeCode(socket)).toBe(4409);
  });

  it('closes the sockets of revoked sessions (POST /auth/logout-all) with 4401 within a second', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    const [socket, other] = [await connect(h, ada), await connect(h, bob)];
    const started = Date.now();
    expect((await call(h, ada, 'POST', '/auth/logout-all')).status).toBeLessThan(300);
    expect(await closeCode(socket, 1_000)).toBe(4401);
    expect(Date.now() - started).toBeLessThan(1_000);
    await roundTrip(other);
    other.close();
  });

  it('answers bad frames with error {code, ref}, keeps the socket open and stores nothing', async () => {
    const [ada, bob, carol] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Carol')];
    await befriend(ada, bob);
    const conv = await conversation([ada, bob]);
    const socket = await connect(h, carol);
    const bad: Array<[unknown, string | undefined]> = [
      ['not json', undefined],
      [{ type: 'nope', ref: 'r1' }, 'r1'],
      [{ type: 'message.send', conversationId: 'not-a-uuid', clientMsgId: 'c1', body: 'x', ref: 'r2' }, 'r2'],
      [{ type: 'message.send', conversationId: conv, clientMsgId: 'has space', body: 'x' }, 'has space'],
      [{ type: 'read', conversationId: conv, seq: -1, ref: 'r3' }, 'r3'],
      [{ type: 'ping', extra: true, ref: 'r4' }, 'r4'],
      [[1, 2], undefined],
    ];
    for (const [frame, ref] of bad) {
      socket.send(frame);
      const error = await socket.next((f) => f.type === 'error');
      expect(error).toEqual(ref === undefined ? { type: 'error', code: 'BAD_FRAME' } : { type: 'error', code: 'BAD_FRAME', ref });
    }
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await socket.next((f) => f.type === 'error')).toEqual({ type: 'error', code: 'BAD_FRAME' });
    // Text no database stores (a NUL, an unpaired surrogate): refused before anything else.
    for (const [body, ref] of [['a\u0000b', 'nul-1'], ['\ud800x', 'half-1']] as const) {
      expect(await send(socket, conv, body, ref)).toEqual({ type: 'error', code: 'VALIDATION_FAILED', ref });
    }
    // Carol is no member: the send is refused, with the clientMsgId as its ref.
    expect(await send(socket, conv, 'hello', 'carol-1')).toEqual({ type: 'error', code: 'NOT_A_MEMBER', ref: 'carol-1' });
    socket.send({ type: 'typing', conversationId: conv, ref: 't1' });
    expect(await socket.next((f) => f.type === 'error')).toEqual({ type: 'error', code: 'NOT_A_MEMBER', ref: 't1' });
    await roundTrip(socket);
    expect(await storedMessages(conv)).toBe(0);
    socket.close();

    // A block: the direct conversation stays, its sends are refused either way.
    const direct = await call<{ id: string }>(h, ada, 'POST', '/chat/conversations', { type: 'direct', userId: bob.id });
    expect(direct.status).toBe(201);
    expect((await call(h, ada, 'POST', '/chat/blocks', { userId: bob.id })).status).toBeLessThan(300);
    const [bobSocket, adaSocket] = [await connect(h, bob), await connect(h, ada)];
    expect(await send(bobSocket, direct.body.id, 'hi?', 'blocked-1')).toEqual({ type: 'error', code: 'BLOCKED', ref: 'blocked-1' });
    // Nor does typing cross a block.
    bobSocket.send({ type: 'typing', conversationId: direct.body.id, ref: 't2' });
    expect(await bobSocket.next((f) => f.type === 'error' && f['ref'] === 't2')).toEqual({ type: 'error', code: 'BLOCKED', ref: 't2' });
    await roundTrip(bobSocket);
    await roundTrip(adaSocket);
    expect(ofType(adaSocket, 'typing')).toHaveLength(0);
    expect(await storedMessages(direct.body.id)).toBe(0);
    bobSocket.close();
    adaSocket.close();
  });

  it('acks a send, acks a repeat the same without storing it, and delivers message.new to the other member and the sender\'s other socket', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    const conv = await conversation([ada, bob]);
    const [adaPhone, adaLaptop, bobSocket] = [await connect(h, ada), await connect(h, ada), await connect(h, bob)];
    const ack = await send(adaPhone, conv, '  hello Bob  ', 'm-1');
    expect(ack).toMatchObject({ type: 'message.ack', clientMsgId: 'm-1', seq: 1 });
    expect(typeof ack['id']).toBe('string');
    expect(new Date(String(ack['createdAt'])).toISOString()).toBe(ack['createdAt']);
    expect(await send(adaPhone, conv, '  hello Bob  ', 'm-1')).toEqual(ack);
    expect(await storedMessages(conv)).toBe(1);
    for (const socket of [bobSocket, adaLaptop]) {
      const frame = await socket.next((f) => f.type === 'message.new');
      expect(frame['message']).toMatchObject({ id: ack['id'], conversationId: conv, seq: 1, senderId: ada.id, clientMsgId: 'm-1', body: 'hello Bob' });
    }
    // The repeat stored nothing and sent nothing new.
    await roundTrip(bobSocket);
    expect(ofType(bobSocket, 'message.new')).toHaveLength(1);
    // A send over REST reaches the sockets the same way.
    const viaRest = await call<{ seq: number }>(h, bob, 'POST', `/chat/conversations/${conv}/messages`, { clientMsgId: 'rest-1', body: 'hi Ada' });
    expect([viaRest.status, viaRest.body.seq]).toEqual([201, 2]);
    for (const socket of [adaPhone, adaLaptop, bobSocket]) expect((await socket.next((f) => f.type === 'message.new'))['message']).toMatchObject({ seq: 2, senderId: bob.id, body: 'hi Ada' });
    const tooLong = await send(adaPhone, conv, 'x'.repeat(4_001), 'm-2');
    expect(tooLong).toEqual({ type: 'error', code: 'MESSAGE_TOO_LONG', ref: 'm-2' });
    for (const s of [adaPhone, adaLaptop, bobSocket]) s.close();
  });

  it('stores, acks and delivers a burst of sends from two sockets in the order each sent them, gapless, each once', async () => {
    const [ada, bob, cy] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cy')];
    await befriend(ada, bob);
    await befriend(ada, cy);
    const conv = await conversation([ada, bob, cy]);
    const [adaSocket, bobSocket, cySocket] = [await connect(h, ada), await connect(h, bob), await connect(h, cy)];
    const N = 40;
    // Written without waiting for acks: the sends of a socket are under way together.
    for (let i = 0; i < N; i++) {
      adaSocket.send({ type: 'message.send', conversationId: conv, clientMsgId: `a-${i}`, body: `ada ${i}` });
      bobSocket.send({ type: 'message.send', conversationId: conv, clientMsgId: `b-${i}`, body: `bob ${i}` });
    }
    await eventually(() => ofType(cySocket, 'message.new').length === 2 * N, 20_000);
    for (const [socket, prefix] of [[adaSocket, 'a'], [bobSocket, 'b']] as const) {
      const acks = ofType(socket, 'message.ack');
      expect(acks.map((a) => a['clientMsgId'])).toEqual(Array.from({ length: N }, (_, i) => `${prefix}-${i}`));
      const seqs = acks.map((a) => Number(a['seq']));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    const seen = ofType(cySocket, 'message.new').map((f) => f['message'] as { seq: number; body: string });
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 2 * N }, (_, i) => i + 1));
    for (const who of ['ada', 'bob']) expect(seen.filter((m) => m.body.startsWith(who)).map((m) => m.body)).toEqual(Array.from({ length: N }, (_, i) => `${who} ${i}`));
    expect(await storedMessages(conv)).toBe(2 * N);
    for (const s of [adaSocket, bobSocket, cySocket]) s.close();
  });

  it('delivers typing to the other members at most once a second per conversation, and read and delivered receipts', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    const conv = await conversation([ada, bob]);
    const [adaSocket, bobSocket] = [await connect(h, ada), await connect(h, bob)];
    adaSocket.send({ type: 'typing', conversationId: conv });
    expect(await bobSocket.next((f) => f.type === 'typing')).toEqual({ type: 'typing', conversationId: conv, userId: ada.id });
    adaSocket.send({ type: 'typing', conversationId: conv });
    await roundTrip(adaSocket);
    h.clock.advance(1_000);
    adaSocket.send({ type: 'typing', conversationId: conv });
    await bobSocket.next((f) => f.type === 'typing');
    await roundTrip(adaSocket);
    await roundTrip(bobSocket);
    expect(ofType(bobSocket, 'typing')).toHaveLength(2);
    expect(ofType(adaSocket, 'typing')).toHaveLength(0);

    await send(adaSocket, conv, 'one');
    await send(adaSocket, conv, 'two');
    bobSocket.send({ type: 'delivered', conversationId: conv, seq: 2 });
    expect(await adaSocket.next((f) => f.type === 'delivered')).toEqual({ type: 'delivered', conversationId: conv, userId: bob.id, seq: 2 });
    bobSocket.send({ type: 'read', conversationId: conv, seq: 1 });
    expect(await adaSocket.next((f) => f.type === 'read')).toEqual({ type: 'read', conversationId: conv, userId: bob.id, seq: 1 });
    const row = (await h.db.query<{ read: number; delivered: number }>('select read_seq::int as read, delivered_seq::int as delivered from chat.members where conversation_id = $1 and user_id = $2', [conv, bob.id])).rows[0];
    expect(row).toEqual({ read: 1, delivered: 2 });
    adaSocket.close();
    bobSocket.close();
  });

  it('tells friends (and only friends) of presence across devices: online at the first socket, offline when the last closes', async () => {
    const [ada, bob, carol] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Carol')];
    await befriend(ada, bob);
    const [bobSocket, carolSocket] = [await connect(h, bob), await connect(h, carol)];
    const presenceOf = (socket: TestSocket) => ofType(socket, 'presence').filter((f) => f['userId'] === ada.id);

    const tab1 = await connect(h, ada);
    expect(await bobSocket.next((f) => f.type === 'presence' && f['userId'] === ada.id)).toMatchObject({ status: 'online' });
    const tab2 = await connect(h, ada);
    // Ada's snapshot on ready: Bob is online.
    expect(await tab2.next((f) => f.type === 'presence')).toMatchObject({ userId: bob.id, status: 'online' });
    tab1.close();
    await tab1.closed();
    await roundTrip(tab2);
    await roundTrip(bobSocket);
    expect(presenceOf(bobSocket)).toHaveLength(1);

    tab2.close();
    const offline = await bobSocket.next((f) => f.type === 'presence' && f['userId'] === ada.id);
    expect(offline).toMatchObject({ status: 'offline' });
    expect(new Date(String(offline['lastSeenAt'])).getTime()).toBeGreaterThan(0);
    await roundTrip(carolSocket);
    expect(presenceOf(carolSocket)).toHaveLength(0);
    // The snapshot of a new socket lists friends online only.
    const again = await connect(h, bob);
    await roundTrip(again);
    expect(ofType(again, 'presence')).toEqual([]);
    for (const s of [bobSocket, carolSocket, again]) s.close();
  });

  it('shows new friends online to each other at once; an unfriend or a block sends each offline to the other (issue 14)', async () => {
    const [ada, bob, cyd] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd')];
    const [adaSocket, bobSocket, cydSocket] = [await connect(h, ada), await connect(h, bob), await connect(h, cyd)];
    const presence = (socket: TestSocket, user: TestUser) => socket.next((f) => f.type === 'presence' && f['userId'] === user.id);

    // Accepted while both are online: no reconnect needed to see each other.
    await befriend(ada, bob);
    expect(await presence(adaSocket, bob)).toMatchObject({ status: 'online', lastSeenAt: expect.any(String) });
    expect(await presence(bobSocket, ada)).toMatchObject({ status: 'online', lastSeenAt: expect.any(String) });
    // Crossing requests befriend too.
    expect((await call(h, cyd, 'POST', '/chat/friends/requests', { userId: bob.id })).status).toBe(201);
    expect((await call(h, bob, 'POST', '/chat/friends/requests', { userId: cyd.id })).status).toBe(200);
    expect(await presence(cydSocket, bob)).toMatchObject({ status: 'online' });
    expect(await presence(bobSocket, cyd)).toMatchObject({ status: 'online' });

    // Unfriended: offline both ways, with no last seen.
    expect((await call(h, ada, 'DELETE', `/chat/friends/${bob.id}`)).status).toBe(204);
    expect(await presence(bobSocket, ada)).toEqual({ type: 'presence', userId: ada.id, status: 'offline', lastSeenAt: null });
    expect(await presence(adaSocket, bob)).toEqual({ type: 'presence', userId: bob.id, status: 'offline', lastSeenAt: null });
    // Blocked: the blocked party sees the blocker go offline (and the other way round).
    expect((await call(h, bob, 'POST', '/chat/blocks', { userId: cyd.id })).status).toBeLessThan(300);
    expect(await presence(cydSocket, bob)).toEqual({ type: 'presence', userId: bob.id, status: 'offline', lastSeenAt: null });
    expect(await presence(bobSocket, cyd)).toEqual({ type: 'presence', userId: cyd.id, status: 'offline', lastSeenAt: null });

    // Nothing more crosses: Bob's going away reaches neither.
    bobSocket.close();
    await bobSocket.closed();
    await Promise.all([roundTrip(adaSocket), roundTrip(cydSocket)]);
    for (const socket of [adaSocket, cydSocket]) expect(ofType(socket, 'presence').filter((f) => f['userId'] === bob.id)).toHaveLength(2);
    for (const s of [adaSocket, cydSocket]) s.close();
  });

  it('brings a conversation someone else made (a direct one, a group I was added to) to my open sockets at once (issue 14)', async () => {
    const [ada, bob, cyd] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd')];
    await befriend(ada, bob);
    await befriend(ada, cyd);
    const [bobSocket, cydSocket] = [await connect(h, bob), await connect(h, cyd)];
    const updated = (socket: TestSocket, id: string) => socket.next((f) => f.type === 'conversation.updated' && (f['conversation'] as { id: string }).id === id);

    const direct = await call<{ id: string }>(h, ada, 'POST', '/chat/conversations', { type: 'direct', userId: bob.id });
    expect(direct.status).toBe(201);
    expect(await updated(bobSocket, direct.body.id)).toMatchObject({ conversation: { type: 'direct', members: expect.arrayContaining([expect.objectContaining({ id: ada.id, readSeq: 0, deliveredSeq: 0 })]) } });

    const group = await conversation([ada, bob]);
    expect(await updated(bobSocket, group)).toMatchObject({ conversation: { type: 'group', name: 'Test' } });
    expect((await call(h, ada, 'POST', `/chat/conversations/${group}/members`, { userIds: [cyd.id] })).status).toBe(200);
    const added = await updated(cydSocket, group);
    expect((added['conversation'] as { members: Array<{ id: string }> }).members.map((m) => m.id).sort()).toEqual([ada.id, bob.id, cyd.id].sort());
    for (const s of [bobSocket, cydSocket]) s.close();
  });

  it('resumes with exactly the missed messages, in order, then resumed; past CHAT_RESUME_MAX_MESSAGES a conversation is truncated', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    const [small, big, unlisted] = [await conversation([ada, bob]), await conversation([ada, bob]), await conversation([ada, bob])];
    const adaSocket = await connect(h, ada);
    for (let i = 1; i <= 4; i++) await send(adaSocket, small, `small ${i}`);
    for (let i = 1; i <= 5; i++) await send(adaSocket, big, `big ${i}`);
    await send(adaSocket, unlisted, 'unlisted');

    const bobSocket = await connect(h, bob);
    bobSocket.send({ type: 'resume', cursors: { [small]: 1, [big]: 0, [randomUUID()]: 0 } });
    const resumed = await bobSocket.next((f) => f.type === 'resumed');
    const replayed = ofType(bobSocket, 'message.new').map((f) => f['message'] as { conversationId: string; seq: number; body: string });
    expect(replayed.map((m) => [m.conversationId, m.seq, m.body])).toEqual([
      [small, 2, 'small 2'],
      [small, 3, 'small 3'],
      [small, 4, 'small 4'],
    ]);
    expect(resumed['truncated']).toEqual([big]);
    expect(new Set(resumed['conversations'] as unknown[])).toEqual(
      new Set([
        { id: small, lastSeq: 4 },
        { id: big, lastSeq: 5 },
        { id: unlisted, lastSeq: 1 },
      ]),
    );
    // Live traffic follows, and nothing comes twice.
    await send(adaSocket, small, 'small 5');
    expect((await bobSocket.next((f) => f.type === 'message.new'))['message']).toMatchObject({ seq: 5 });
    bobSocket.send({ type: 'resume', cursors: { [small]: 3 } });
    await bobSocket.next((f) => f.type === 'resumed');
    expect(ofType(bobSocket, 'message.new').map((f) => (f['message'] as { seq: number }).seq)).toEqual([2, 3, 4, 5]);
    adaSocket.close();
    bobSocket.close();
  });

  it('fans out between instances over the live channel, skipping an instance\'s own publications', async () => {
    const [here, there] = [new Hub(h.live, silentLogger), new Hub(h.live, silentLogger)];
    here.start();
    there.start();
    const got = { here: [] as string[], there: [] as string[] };
    const sink = (userId: string, into: string[]): LocalSocket => ({ userId, push: (_frame, data) => into.push(String(data)) });
    here.attach(sink('u1', got.here));
    there.attach(sink('u1', got.there));
    there.attach(sink('u2', got.there));
    if (variant === 'distributed') await new Promise((r) => setTimeout(r, 100));
    const frame: LiveFrame = { type: 'typing', conversationId: 'c', userId: 'u3' };
    here.deliver(['u1', 'u2'], frame);
    expect(got.here).toEqual([JSON.stringify(frame)]);
    await eventually(() => got.there.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(got.here).toHaveLength(1);
    here.stop();
    there.stop();

    // With the channel failing (NATS down), local sockets still get the frame and deliver never throws.
    const down = new Hub({ ...h.live, publish: () => { throw new Error('NATS is down'); } }, silentLogger);
    const local: string[] = [];
    down.attach(sink('u1', local));
    expect(() => down.deliver(['u1'], frame)).not.toThrow();
    expect(local).toEqual([JSON.stringify(frame)]);
  });

  it('lets users on two instances talk live: messages, typing, receipts and presence cross over the live channel', async () => {
    const other = await h.addInstance();
    const there = { wsUrl: other.wsUrl };
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    const conv = await conversation([ada, bob]);
    const adaSocket = await connect(h, ada);
    const bobSocket = await connect(there, bob);
    expect(await adaSocket.next((f) => f.type === 'presence')).toMatchObject({ userId: bob.id, status: 'online' });
    expect(await bobSocket.next((f) => f.type === 'presence')).toMatchObject({ userId: ada.id, status: 'online' });

    const ack = await send(adaSocket, conv, 'across');
    expect((await bobSocket.next((f) => f.type === 'message.new'))['message']).toMatchObject({ id: ack['id'], body: 'across' });
    bobSocket.send({ type: 'typing', conversationId: conv });
    expect(await adaSocket.next((f) => f.type === 'typing')).toEqual({ type: 'typing', conversationId: conv, userId: bob.id });
    bobSocket.send({ type: 'read', conversationId: conv, seq: 1 });
    expect(await adaSocket.next((f) => f.type === 'read')).toEqual({ type: 'read', conversationId: conv, userId: bob.id, seq: 1 });

    // Ada on both instances: online until both sockets close.
    const adaThere = await connect(there, ada);
    adaSocket.close();
    await roundTrip(adaThere);
    await roundTrip(bobSocket);
    expect(ofType(bobSocket, 'presence').filter((f) => f['userId'] === ada.id)).toHaveLength(1);
    adaThere.close();
    expect(await bobSocket.next((f) => f.type === 'presence' && f['userId'] === ada.id)).toMatchObject({ status: 'offline' });
    bobSocket.close();
    await other.close();
  });

  it('shows new friends on two instances to each other at once, and sends them offline to each other when they part (issue 14)', async () => {
    const other = await h.addInstance();
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    const adaSocket = await connect(h, ada);
    const bobSocket = await connect({ wsUrl: other.wsUrl }, bob);
    // Accepted through this instance's REST: Bob's socket is on the other one.
    await befriend(ada, bob);
    expect(await adaSocket.next((f) => f.type === 'presence')).toMatchObject({ userId: bob.id, status: 'online' });
    expect(await bobSocket.next((f) => f.type === 'presence')).toMatchObject({ userId: ada.id, status: 'online' });
    expect((await call(h, bob, 'POST', '/chat/blocks', { userId: ada.id })).status).toBeLessThan(300);
    expect(await adaSocket.next((f) => f.type === 'presence')).toEqual({ type: 'presence', userId: bob.id, status: 'offline', lastSeenAt: null });
    expect(await bobSocket.next((f) => f.type === 'presence')).toEqual({ type: 'presence', userId: ada.id, status: 'offline', lastSeenAt: null });
    for (const s of [adaSocket, bobSocket]) s.close();
    await other.close();
  });

  it('with the live channel down, a send is still persisted, acked and delivered on its own instance; the others resume', async ({ skip }) => {
    if (variant === 'embedded') skip('the embedded live channel cannot fail');
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: 4222 });
    const channel = await createNatsLiveChannel({ servers: `127.0.0.1:${proxy.port}`, subjectPrefix: h.liveSubjectPrefix, reconnectTimeWaitMs: 50 });
    try {
      const other = await h.addInstance({ live: channel });
      const there = { wsUrl: other.wsUrl };
      const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
      await befriend(ada, bob);
      const conv = await conversation([ada, bob]);
      const [bobPhone, bobLaptop, adaSocket] = [await connect(there, bob), await connect(there, bob), await connect(h, ada)];
      await proxy.stop();
      // Once the channel knows NATS is gone, it drops what it is given.
      await eventually(() => {
        channel.publish('probe', '1');
        return channel.stats().dropped > 0;
      });
      const ack = await send(bobPhone, conv, 'while NATS is down');
      expect(ack).toMatchObject({ type: 'message.ack', seq: 1 });
      expect((await bobLaptop.next((f) => f.type === 'message.new'))['message']).toMatchObject({ seq: 1 });
      await roundTrip(adaSocket);
      expect(ofType(adaSocket, 'message.new')).toEqual([]);
      adaSocket.send({ type: 'resume', cursors: { [conv]: 0 } });
      await adaSocket.next((f) => f.type === 'resumed');
      expect(ofType(adaSocket, 'message.new').map((f) => (f['message'] as ChatMessage).body)).toEqual(['while NATS is down']);
      await proxy.start();
      for (const s of [bobPhone, bobLaptop, adaSocket]) s.close();
      await other.close();
    } finally {
      await channel.close();
      await proxy.close();
    }
  });

  it('shows its open sockets and the live frames it published on /metrics', async () => {
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${h.base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
    };
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    const conv = await conversation([ada, bob]);
    const open = await metric('chat_sockets_open');
    const published = await metric('chat_live_published_total');
    expect([open, published].every(Number.isFinite)).toBe(true);
    expect(await metric('chat_live_dropped_total')).toBe(0);
    const [adaSocket, bobSocket] = [await connect(h, ada), await connect(h, bob)];
    expect(await metric('chat_sockets_open')).toBe(open + 2);
    await send(adaSocket, conv, 'counted');
    await bobSocket.next((f) => f.type === 'message.new');
    expect(await metric('chat_live_published_total')).toBeGreaterThan(published);
    adaSocket.close();
    bobSocket.close();
    await eventually(async () => (await metric('chat_sockets_open')) === open);
  });

  it('closes every socket with 1012 at shutdown', async () => {
    const ada = await signUp(h, 'Ada');
    const [a, b] = [await connect(h, ada), await openSocket(h)];
    await h.host.stop();
    expect(await closeCode(a)).toBe(1012);
    expect(await closeCode(b)).toBe(1012);
  });
});

describe('presence: a killed instance\'s users go offline after the TTL', () => {
  it('counts a user online while another instance renews its mark, offline once it stops, and tells the friends once', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ clock });
    const delivered: LiveFrame[] = [];
    const hub = { deliver: (_ids: readonly string[], frame: LiveFrame) => void delivered.push(frame) };
    const people: People = { find: async () => null, friendIds: async (id) => (id === 'ada' ? ['bob'] : ['ada']), blockedBetween: async () => false };
    const options = { store, hub, channel: createInProcessLiveChannel(), people, logger: silentLogger, ttlMs: 3_000 };
    // The killed instance's timers run on a clock that never moves again.
    const killed = new Presence({ ...options, clock: new ManualClock(clock.now()), instanceId: 'killed' });
    const alive = new Presence({ ...options, clock, instanceId: 'alive' });
    const alsoAlive = new Presence({ ...options, clock, instanceId: 'also-alive' });
    await killed.start();
    await alive.start();
    await alsoAlive.start();
    await killed.connected('bob');
    expect(delivered).toEqual([{ type: 'presence', userId: 'bob', status: 'online', lastSeenAt: clock.now().toISOString() }]);
    expect(await alive.onlineFriends('ada')).toEqual([{ type: 'presence', userId: 'bob', status: 'online', lastSeenAt: clock.now().toISOString() }]);
    await clock.advanceAsync(2_999);
    expect(await alive.onlineFriends('ada')).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(await alive.onlineFriends('ada')).toEqual([]);
    // The survivors' heartbeats find the instance gone: one of them tells Bob's friends, once, with his last seen.
    await eventually(() => delivered.length === 2);
    expect(delivered[1]).toEqual({ type: 'presence', userId: 'bob', status: 'offline', lastSeenAt: new Date(clock.now().getTime() - 3_000).toISOString() });
    await clock.advanceAsync(9_000);
    expect(delivered).toHaveLength(2);
    await alsoAlive.stop();
    await alive.stop();
    await store.close();
  });
});

/** A stand-in for a `ws` socket: records what is sent, holds write callbacks until `flush()`. */
class FakeWs extends EventEmitter {
  bufferedAmount = 0;
  readonly sent: Array<Record<string, unknown> & { type: string }> = [];
  closeCode: number | undefined;
  terminated = false;
  readonly #callbacks: Array<(err?: Error) => void> = [];
  send(data: Buffer, _options: unknown, cb: (err?: Error) => void): void {
    this.sent.push(JSON.parse(String(data)) as (typeof this.sent)[number]);
    this.#callbacks.push(cb);
  }
  /** The client caught up: everything buffered is written. */
  flush(): void {
    this.bufferedAmount = 0;
    for (const cb of this.#callbacks.splice(0)) cb();
  }
  ping(_data: unknown, _mask: unknown, cb: (err?: Error) => void): void {
    cb();
  }
  close(code: number): void {
    this.closeCode = code;
    queueMicrotask(() => this.emit('close'));
  }
  terminate(): void {
    this.terminated = true;
    queueMicrotask(() => this.emit('close'));
  }
}

describe('live: one socket, with the network faked', () => {
  const conv = randomUUID();
  const message = (seq: number): ChatMessage => ({ id: `m${seq}`, conversationId: conv, seq, senderId: 'bob', clientMsgId: `c${seq}`, body: `#${seq}`, createdAt: new Date(0).toISOString(), editedAt: null, deletedAt: null, reactions: [] });
  const newFrame = (seq: number): LiveFrame => ({ type: 'message.new', message: message(seq) });
  const typing: LiveFrame = { type: 'typing', conversationId: conv, userId: 'bob' };
  const principal: UserPrincipal = { kind: 'user', userId: 'ada', sessionId: 's1', roles: ['STUDENT'], scopes: [], tokenId: 't1', expiresAt: new Date(Date.UTC(2030, 0, 1)) };

  function open(messaging: Partial<Messaging> = {}): { ws: FakeWs; socket: ChatSocket } {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const context = {
      clock,
      logger: silentLogger,
      env: { CHAT_AUTH_TIMEOUT_MS: 5_000, CHAT_SOCKET_QUEUE_MAX: 16, CHAT_RESUME_MAX_MESSAGES: 100 },
      authentication: { verifier: { verify: async () => principal }, revocations: { isRevoked: () => false, isTokenRevoked: () => false } },
    } as unknown as ChatContext;
    const presence = { connected: async () => undefined, onlineFriends: async () => [] } as unknown as Presence;
    const ws = new FakeWs();
    const people = { blockedBetween: async () => false } as unknown as People;
    const host: SocketHost = { context, messaging: messaging as Messaging, people, hub: { deliver: () => undefined }, presence, authenticated: () => undefined, closed: () => undefined };
    const socket = new ChatSocket(ws as unknown as WebSocket, host);
    return { ws, socket };
  }
  async function authenticated(messaging: Partial<Messaging> = {}): Promise<{ ws: FakeWs; socket: ChatSocket }> {
    const opened = open(messaging);
    opened.ws.emit('message', Buffer.from(JSON.stringify({ type: 'auth', token: 't' })), false);
    await eventually(() => opened.ws.sent.some((f) => f.type === 'ready'));
    return opened;
  }
  const push = (socket: ChatSocket, frame: LiveFrame): void => socket.push(frame, Buffer.from(JSON.stringify(frame)));

  it('queues behind a slow client, drops typing first, drains when it catches up, and closes with 4008 when still full', async () => {
    const { ws, socket } = await authenticated();
    ws.bufferedAmount = 10 * 1024 * 1024;
    for (let i = 0; i < 8; i++) push(socket, typing);
    for (let seq = 1; seq <= 4; seq++) push(socket, newFrame(seq));
    expect(ws.sent.map((f) => f.type)).toEqual(['ready']);
    ws.flush();
    expect(ws.sent.filter((f) => f.type === 'message.new').map((f) => (f['message'] as ChatMessage).seq)).toEqual([1, 2, 3, 4]);
    expect(ws.sent.filter((f) => f.type === 'typing').length).toBe(8);

    ws.bufferedAmount = 10 * 1024 * 1024;
    for (let i = 0; i < 8; i++) push(socket, typing);
    // Past half the queue, typing is not even queued; a full queue evicts the typing first.
    push(socket, typing);
    for (let seq = 5; seq <= 20; seq++) push(socket, newFrame(seq));
    expect(ws.closeCode).toBeUndefined();
    push(socket, newFrame(21));
    expect(ws.closeCode).toBe(4008);
    ws.flush();
    expect(ws.sent.filter((f) => f.type === 'typing').length).toBe(8);
  });

  it('lets the next send in while one commits (up to a window of 32): acks in order, a failed send answers its ref', async () => {
    const queued: Array<{ input: SendInput; settle: (result: SendResult) => void; fail: (err: unknown) => void }> = [];
    const { ws } = await authenticated({
      queue: async (input) => {
        let settle: (result: SendResult) => void = () => undefined;
        let fail: (err: unknown) => void = () => undefined;
        const done = new Promise<SendResult>((resolve, reject) => {
          settle = resolve;
          fail = reject;
        });
        queued.push({ input, settle, fail });
        return { done };
      },
    });
    const sendFrame = (i: number): boolean => ws.emit('message', Buffer.from(JSON.stringify({ type: 'message.send', conversationId: conv, clientMsgId: `c${i}`, body: `#${i}`, ref: `r${i}` })), false);
    for (let i = 1; i <= 33; i++) sendFrame(i);
    await eventually(() => queued.length === 32);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The 33rd waits for a place in the window, not for the first send's commit alone.
    expect(queued.map((q) => q.input.clientMsgId)).toEqual(Array.from({ length: 32 }, (_, i) => `c${i + 1}`));
    const stored = (i: number): SendResult => ({ message: { ...message(i), senderId: 'ada', clientMsgId: `c${i}` }, created: true });
    queued[1]!.fail(new AppError(ChatErrors.BLOCKED, 'blocked'));
    queued[0]!.settle(stored(1));
    await eventually(() => queued.length === 33);
    for (let i = 2; i < 33; i++) queued[i]!.settle(stored(i + 1));
    await eventually(() => ws.sent.filter((f) => f.type === 'message.ack').length === 32);
    const answers = ws.sent.filter((f) => f.type !== 'ready').map((f) => (f.type === 'message.ack' ? f['clientMsgId'] : `${String(f['code'])} ${String(f['ref'])}`));
    expect(answers.slice(0, 3)).toEqual(['BLOCKED r2', 'c1', 'c3']);
    expect(answers).toHaveLength(33);
  });

  it('holds live frames during a resume and sends them after `resumed`, none twice', async () => {
    let release: ((messages: readonly ChatMessage[]) => void) | undefined;
    const { ws, socket } = await authenticated({
      memberships: async () => new Map([[conv, 3]]),
      messagesAfter: () => new Promise((resolve) => (release = resolve)),
    });
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'resume', cursors: { [conv]: 0 } })), false);
    await eventually(() => release !== undefined);
    push(socket, newFrame(3));
    push(socket, newFrame(4));
    push(socket, typing);
    push(socket, { type: 'presence', userId: 'bob', status: 'online', lastSeenAt: null });
    expect(ws.sent.map((f) => f.type)).toEqual(['ready']);
    release!([message(1), message(2), message(3)]);
    await eventually(() => ws.sent.some((f) => f.type === 'presence'));
    // Typing held through a replay would be stale: dropped.
    expect(ws.sent.map((f) => (f.type === 'message.new' ? `new ${(f['message'] as ChatMessage).seq}` : f.type))).toEqual(['ready', 'new 1', 'new 2', 'new 3', 'resumed', 'new 4', 'presence']);
    expect(ws.sent.find((f) => f.type === 'resumed')).toEqual({ type: 'resumed', conversations: [{ id: conv, lastSeq: 3 }], truncated: [] });
  });

  it('reaps a socket that did not answer the previous ping, not one that did', async () => {
    const { ws, socket } = await authenticated();
    socket.heartbeat();
    ws.emit('pong');
    socket.heartbeat();
    expect(ws.terminated).toBe(false);
    socket.heartbeat();
    expect(ws.terminated).toBe(true);
  });
});
