import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type ChatLive, type LiveState, type RealChat } from '../src/index.js';
import { client, eventually, groupOfTwo, liveConnections, signUp, startSystem, type TestSystem } from './harness.js';

const TTL_MS = 15 * 60_000;

const opened = (live: ChatLive): Promise<void> => eventually(() => live.state === 'open');

/** The states a live client went through. */
function states(live: ChatLive): LiveState[] {
  const seen: LiveState[] = [];
  live.on('state', ({ state }) => seen.push(state));
  return seen;
}

describe('live: ChatLive against /chat/ws', () => {
  let system: TestSystem;
  let sockets: ReturnType<typeof liveConnections>;
  beforeAll(async () => {
    system = await startSystem();
    sockets = liveConnections(system);
  });
  afterAll(async () => {
    await system?.close();
  });

  // Backoff and heartbeat on real time (the server's clock is the manual one); no jitter surprises.
  const realTimeClient = (): RealChat => client(system, { clock: systemClock, random: () => 0.2 });

  it('a reconnect in the middle of sends loses and duplicates nothing (sender and receiver cut server-side)', async () => {
    const [ada, bob] = [realTimeClient(), realTimeClient()];
    await signUp(ada, 'Ada');
    const bobId = (await signUp(bob, 'Bob')).id;
    const conversationId = await groupOfTwo(ada, bob, bobId);
    // Cursors as an app has them from the history it loaded (here: none yet). Without one, a
    // conversation starts where the connection's first `resumed` finds it; a cut before that
    // answer (a busy server) starts it after what was sent meanwhile.
    const [sender, receiver] = [ada.chatLive({ cursors: { [conversationId]: 0 } }), bob.chatLive({ cursors: { [conversationId]: 0 } })];
    const [senderStates, receiverStates] = [states(sender), states(receiver)];
    await Promise.all([opened(sender), opened(receiver)]);
    const [received, echoed]: [number[], number[]] = [[], []];
    receiver.on('message.new', ({ message }) => message.conversationId === conversationId && received.push(message.seq));
    sender.on('message.new', ({ message }) => message.conversationId === conversationId && echoed.push(message.seq));

    const COUNT = 60;
    let acked = 0;
    const sends = Array.from({ length: COUNT }, (_, i) => sender.send(conversationId, `m${i}`).finally(() => acked++));
    await eventually(() => acked >= 10);
    // Mid-stream: up to 32 sends on the wire, some stored with their ack lost, some not read yet.
    expect(acked).toBeLessThan(COUNT);
    for (const socket of sockets) socket.destroy();

    const acks = await Promise.all(sends);
    const seqs = acks.map((a) => a.seq);
    expect(new Set(seqs).size).toBe(COUNT);
    const first = Math.min(...seqs);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: COUNT }, (_, i) => first + i));
    const history = await ada.api.GET('/chat/conversations/{id}/messages', { params: { path: { id: conversationId }, query: { limit: 100 } } });
    expect(history.data?.items.map((m) => m.body).sort()).toEqual(Array.from({ length: COUNT }, (_, i) => `m${i}`).sort());

    const expected = Array.from({ length: COUNT }, (_, i) => first + i);
    // Bounded by the heartbeat (30 s): a cut the client did not see as a close is found by it, and must lose nothing either.
    await eventually(() => received.length >= COUNT && echoed.length >= COUNT, 40_000);
    expect(received).toEqual(expected);
    expect(echoed).toEqual(expected);
    expect(senderStates).toContain('reconnecting');
    expect(receiverStates).toContain('reconnecting');
    sender.close();
    receiver.close();
    ada.close();
    bob.close();
  }, 60_000);

  it('replays what a receiver missed while disconnected, from its cursor', async () => {
    const [ada, bob] = [realTimeClient(), realTimeClient()];
    await signUp(ada, 'Ada');
    const bobId = (await signUp(bob, 'Bob')).id;
    const conversationId = await groupOfTwo(ada, bob, bobId);
    const before = await ada.api.POST('/chat/conversations/{id}/messages', { params: { path: { id: conversationId } }, body: { clientMsgId: 'before', body: 'seen' } });
    const seen = before.data!.seq;
    for (let i = 0; i < 3; i++) await ada.api.POST('/chat/conversations/{id}/messages', { params: { path: { id: conversationId } }, body: { clientMsgId: `missed${i}`, body: `missed ${i}` } });
    const receiver = bob.chatLive({ cursors: { [conversationId]: seen } });
    const bodies: string[] = [];
    receiver.on('message.new', ({ message }) => bodies.push(message.body));
    const resumed = new Promise((resolve) => receiver.on('resumed', resolve));
    expect(await resumed).toMatchObject({ truncated: [] });
    expect(bodies).toEqual(['missed 0', 'missed 1', 'missed 2']);
    expect(receiver.cursor(conversationId)).toBe(seen + 3);
    receiver.close();
    ada.close();
    bob.close();
  });

  it("swaps a refreshed token into the open socket: it outlives the first token's expiry", async () => {
    const ada = realTimeClient();
    await signUp(ada);
    const live = ada.chatLive();
    const seen = states(live);
    await opened(live);
    const upgrades = sockets.size;
    // Near the first token's expiry (by the server's clock), the client refreshes.
    system.clock.advance(TTL_MS - 60_000);
    const first = ada.session.accessToken;
    await ada.session.refresh(first);
    expect(ada.session.accessToken).not.toBe(first);
    // The swap is answered by a second `ready`, which the client takes silently.
    await new Promise((r) => setTimeout(r, 200));
    system.clock.advance(120_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual(['open']);
    expect(sockets.size).toBe(upgrades);
    live.close();
    ada.close();
  });

  it('sign-out everywhere (from another client) closes the socket for good: stopped (signed-out), the session signed out, later sends fail', async () => {
    const [ada, other] = [realTimeClient(), realTimeClient()];
    const { email } = await signUp(ada);
    await other.login({ email, password: 'correct horse battery' });
    const live = ada.chatLive();
    await opened(live);
    const stopped = new Promise((resolve) => live.on('stopped', resolve));
    await other.logoutAll();
    expect(await stopped).toEqual({ reason: 'signed-out' });
    expect(live.state).toBe('closed');
    expect(ada.session.signedIn).toBe(false);
    await expect(live.send('00000000-0000-4000-8000-000000000000', 'late')).rejects.toMatchObject({ code: 'CLOSED' });
    ada.close();
    other.close();
  });
});
