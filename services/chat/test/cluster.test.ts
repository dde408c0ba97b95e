import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { freePort, gatewayUpstreams, runCli, startProcess, type ServiceProcess } from '../../../apps/cli/test/processes.js';
import { eventually, openSocket, PASSWORD, uniqueEmail, type TestSocket } from './harness.js';

/**
 * The distributed deployment as separate processes: auth, two chat instances and the gateway in
 * front, on PostgreSQL, Redis and a NATS server of this file's own (so that it can be stopped and
 * started again). Sockets go through the gateway unless a test needs to know which instance holds
 * one; then it connects to that instance directly (the gateway only tunnels the bytes).
 */
const id = randomBytes(4).toString('hex');
const ISSUER = 'http://auth.cluster.test';
type Frame = TestSocket['frames'][number];

interface Nats {
  readonly port: number;
  readonly dir: string;
  child: ChildProcess | undefined;
}

let db: TestDatabase | undefined;
let nats: Nats | undefined;
let sharedEnv: Record<string, string>;
let auth: ServiceProcess;
let gateway: ServiceProcess;
let identityEnv: Record<string, string>;
/** Every process started, stopped in afterAll whatever happened. */
const processes: ServiceProcess[] = [];
const chats: ServiceProcess[] = [];
const sockets: TestSocket[] = [];

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startNats(n: Nats): Promise<void> {
  const child = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(n.port), '-js', '-sd', n.dir], { stdio: 'ignore' });
  n.child = child;
  await eventually(() => portOpen(n.port), 10_000);
}

async function stopNats(n: Nats): Promise<void> {
  const child = n.child;
  n.child = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function startChatInstance(): Promise<ServiceProcess> {
  const port = await freePort();
  const proc = await startProcess('services/chat/dist/server.js', {
    ...sharedEnv,
    ...identityEnv,
    PORT: String(port),
    ANNOUNCE_URL: `http://127.0.0.1:${port}`,
    AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
    AUTH_INTERNAL_URL: auth.url,
  });
  processes.push(proc);
  chats.push(proc);
  return proc;
}

/** How many chat instances the gateway has available. */
async function chatInstancesAvailable(): Promise<number> {
  return (await gatewayUpstreams(gateway.url))['chat']?.available ?? 0;
}

interface User {
  readonly id: string;
  readonly email: string;
  readonly token: string;
  readonly refresh: string;
}

const json = { 'content-type': 'application/json' };

async function signUp(name: string): Promise<User> {
  const email = uniqueEmail();
  const reg = await fetch(`${gateway.url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD, displayName: name }) });
  expect(reg.status).toBe(201);
  const { id: userId } = (await reg.json()) as { id: string };
  const login = await fetch(`${gateway.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(login.status).toBe(200);
  const body = (await login.json()) as { access_token: string; refresh_token: string };
  return { id: userId, email, token: body.access_token, refresh: body.refresh_token };
}

/** A conversation of `members` written directly (the REST routes are tested elsewhere; these tests are about the live path). */
async function conversation(members: readonly User[]): Promise<string> {
  const conversationId = randomUUID();
  const at = new Date().toISOString();
  await db!.query("insert into chat.conversations (id, type, name, created_by, created_at, updated_at, last_activity_at) values ($1, 'group', 'Cluster', $2, $3, $3, $3)", [conversationId, members[0]!.id, at]);
  for (const [i, m] of members.entries()) await db!.query('insert into chat.members (conversation_id, user_id, role, joined_at) values ($1, $2, $3, $4)', [conversationId, m.id, i === 0 ? 'owner' : 'member', at]);
  return conversationId;
}

const wsUrlOf = (proc: ServiceProcess): string => `${proc.url.replace('http://', 'ws://')}/chat/ws`;

/** An authenticated socket to `url` (the gateway's /chat/ws unless told otherwise). */
async function live(user: User, url = wsUrlOf(gateway)): Promise<TestSocket> {
  const socket = await openSocket({ wsUrl: url });
  sockets.push(socket);
  socket.send({ type: 'auth', token: user.token });
  await socket.next((f) => f.type === 'ready');
  return socket;
}

/** Reconnects through the gateway as a client does after losing its socket: until a socket is ready. */
async function reconnect(user: User): Promise<TestSocket> {
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      return await live(user);
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function send(socket: TestSocket, conversationId: string, body: string, clientMsgId: string = randomUUID()): Promise<Frame> {
  socket.send({ type: 'message.send', conversationId, clientMsgId, body });
  const answer = await socket.next((f) => (f.type === 'message.ack' && f['clientMsgId'] === clientMsgId) || (f.type === 'error' && f['ref'] === clientMsgId));
  expect(answer.type).toBe('message.ack');
  return answer;
}

/** The seqs of the `message.new` frames `socket` got for `conversationId`, in arrival order. */
const seqsSeen = (socket: TestSocket, conversationId: string): number[] =>
  socket.frames.filter((f) => f.type === 'message.new').map((f) => f['message'] as { conversationId: string; seq: number }).filter((m) => m.conversationId === conversationId).map((m) => m.seq);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function storedSeqs(conversationId: string): Promise<number[]> {
  const { rows } = await db!.query<{ seq: string }>('select seq from chat.messages where conversation_id = $1 order by seq', [conversationId]);
  return rows.map((r) => Number(r.seq));
}

beforeAll(async () => {
  nats = { port: await freePort(), dir: mkdtempSync(join(tmpdir(), 'rc-cluster-nats-')), child: undefined };
  await startNats(nats);
  db = await createTestDatabase('postgres');
  sharedEnv = {
    DATABASE_URL: db.url!,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `t:cluster:${id}:`,
    NATS_URL: `127.0.0.1:${nats.port}`,
    NATS_STREAM: `T_CLUSTER_${id}`,
    NATS_SUBJECT_PREFIX: `t_cluster_${id}`,
    AUTH_ISSUER: ISSUER,
  };
  const authPort = await freePort();
  const keyEncryptionKey = randomBytes(32).toString('base64');
  auth = await startProcess('services/auth/dist/server.js', {
    ...sharedEnv,
    PORT: String(authPort),
    ANNOUNCE_URL: `http://127.0.0.1:${authPort}`,
    AUTH_BCRYPT_COST: '4',
    // Every test client is 127.0.0.1.
    AUTH_LOGIN_IP_LIMIT: '10000',
    AUTH_REGISTER_IP_LIMIT: '10000',
    AUTH_KEY_ENCRYPTION_KEY: keyEncryptionKey,
  });
  processes.push(auth);
  // Chat's client at auth, for the user lookups its projection falls back to.
  const created = await runCli(['clients', 'create', 'chat', '--scope', 'users:read'], { ...sharedEnv, AUTH_KEY_ENCRYPTION_KEY: keyEncryptionKey });
  if (created.code !== 0) throw new Error(`clients create failed: ${created.stderr}`);
  identityEnv = { AUTH_CLIENT_ID: /client_id=(\S+)/.exec(created.stdout)![1]!, AUTH_CLIENT_SECRET: /client_secret=(\S+)/.exec(created.stdout)![1]! };
  // One after the other: the first migrates the chat schema.
  await startChatInstance();
  await startChatInstance();
  gateway = await startProcess('services/gateway/dist/server.js', {
    ...sharedEnv,
    AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
    GATEWAY_DISCOVERY_INTERVAL: '200ms',
    GATEWAY_HEALTH_INTERVAL: '1s',
    GATEWAY_RATE_LIMIT_IP: 'off',
    GATEWAY_RATE_LIMIT_USER: 'off',
    GATEWAY_WS_MAX_PER_IP: '1000',
  });
  processes.push(gateway);
  // Until the gateway knows auth's routes too, /auth/register has no rule there and needs a token.
  await eventually(async () => {
    const services = await gatewayUpstreams(gateway.url);
    return services['chat']?.available === 2 && services['chat'].routes && services['auth']?.routes === true;
  }, 15_000);
}, 90_000);

afterAll(async () => {
  for (const socket of sockets) socket.ws.terminate();
  await Promise.allSettled(processes.map((p) => p.kill()));
  if (nats !== undefined) {
    await stopNats(nats);
    rmSync(nats.dir, { recursive: true, force: true });
  }
  await db?.close();
});

describe('chat cluster: auth, two chat processes and the gateway on Postgres, Redis and NATS', { timeout: 30_000 }, () => {
  it('users on different chat instances talk live', async () => {
    const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
    const conversationId = await conversation([ada, bob]);
    const onA = await live(ada, wsUrlOf(chats[0]!));
    const onB = await live(bob, wsUrlOf(chats[1]!));
    const ack = await send(onA, conversationId, 'hello from A');
    const received = await onB.next((f) => f.type === 'message.new');
    expect(received['message']).toMatchObject({ conversationId, seq: ack['seq'], senderId: ada.id, body: 'hello from A' });
    // And back, through the gateway this time for both.
    const viaGateway = await live(bob);
    const adaViaGateway = await live(ada);
    await send(viaGateway, conversationId, 'hello back');
    expect((await onA.next((f) => f.type === 'message.new'))['message']).toMatchObject({ seq: 2, senderId: bob.id, body: 'hello back' });
    expect((await adaViaGateway.next((f) => f.type === 'message.new'))['message']).toMatchObject({ seq: 2 });
    for (const s of [onA, onB, viaGateway, adaViaGateway]) s.close();
  });

  it('an instance killed mid-conversation: its clients reconnect through the gateway and resume with nothing lost or twice', async () => {
    const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
    const conversationId = await conversation([ada, bob]);
    // Round robin: two handshakes in a row land on the two instances.
    const first = await live(ada);
    const second = await live(bob);
    for (let i = 1; i <= 5; i++) await send(i % 2 === 0 ? second : first, conversationId, `before ${i}`);
    await eventually(() => seqsSeen(first, conversationId).length === 5 && seqsSeen(second, conversationId).length === 5);

    const victim = chats[0]!;
    await victim.kill();
    // Exactly one of the two sockets was on the killed instance: it drops without a close frame.
    const lost = await Promise.race([
      first.closed().then(() => first),
      second.closed().then(() => second),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('neither socket was on the killed instance (the gateway did not alternate)')), 3_000)),
    ]);
    const kept = lost === first ? second : first;
    const lostUser = lost === first ? ada : bob;
    expect(await lost.closed()).toBe(1006);
    kept.send({ type: 'ping' });
    await kept.next((f) => f.type === 'pong');
    expect(kept.ws.readyState).toBe(kept.ws.OPEN);

    // The conversation goes on while the dropped client is away.
    for (let i = 1; i <= 5; i++) await send(kept, conversationId, `while away ${i}`);
    const lastSeen = Math.max(...seqsSeen(lost, conversationId));
    expect(lastSeen).toBe(5);

    const back = await reconnect(lostUser);
    back.send({ type: 'resume', cursors: { [conversationId]: lastSeen } });
    const resumed = await back.next((f) => f.type === 'resumed');
    expect(resumed['conversations']).toContainEqual({ id: conversationId, lastSeq: 10 });
    expect(seqsSeen(back, conversationId)).toEqual(range(6, 10));
    // A send whose ack was lost with the instance is repeated with its clientMsgId: stored once.
    const clientMsgId = randomUUID();
    const firstAck = await send(back, conversationId, 'after', clientMsgId);
    const again = await send(back, conversationId, 'after', clientMsgId);
    expect(again).toEqual(firstAck);
    await kept.next((f) => f.type === 'message.new' && (f['message'] as { seq: number }).seq === 11);
    await send(kept, conversationId, 'last');
    await back.next((f) => f.type === 'message.new' && (f['message'] as { seq: number }).seq === 12);

    // Nothing lost, nothing twice: on either client and in the database.
    expect([...seqsSeen(lost, conversationId), ...seqsSeen(back, conversationId)]).toEqual(range(1, 12));
    expect(seqsSeen(kept, conversationId)).toEqual(range(1, 12));
    expect(await storedSeqs(conversationId)).toEqual(range(1, 12));
    back.close();
    kept.close();

    // A new instance takes the killed one's place for the tests below, once the gateway no longer
    // routes a handshake to the killed one (its health check ejects it): four in a row succeed.
    chats.shift();
    await startChatInstance();
    await eventually(async () => (await chatInstancesAvailable()) >= 2, 15_000);
    await eventually(async () => {
      for (let i = 0; i < 4; i++) {
        const probe = await live(ada).catch(() => undefined);
        if (probe === undefined) return false;
        probe.close();
      }
      return true;
    }, 15_000);
  });

  it('closes the socket of a revoked session with 4401 within a second, across processes', async () => {
    const ada = await signUp('Ada');
    const socket = await live(ada);
    const logout = await fetch(`${gateway.url}/auth/logout`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: ada.refresh }) });
    expect(logout.status).toBe(204);
    const start = Date.now();
    expect(await socket.closed()).toBe(4401);
    expect(Date.now() - start).toBeLessThan(1_000);
  });

  it('with NATS down, sends are persisted and acked, same-instance members get them live, the others by resume and live once NATS is back', async () => {
    const [ada, bob, cy] = [await signUp('Ada'), await signUp('Bob'), await signUp('Cy')];
    const conversationId = await conversation([ada, bob, cy]);
    const [a, b] = [chats[0]!, chats[1]!];
    const adaOnA = await live(ada, wsUrlOf(a));
    const bobOnA = await live(bob, wsUrlOf(a));
    const cyOnB = await live(cy, wsUrlOf(b));
    await send(adaOnA, conversationId, 'before the outage');
    await cyOnB.next((f) => f.type === 'message.new');

    await stopNats(nats!);
    // The instances see their connections drop at once (the server's end closed).
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 1; i <= 3; i++) await send(adaOnA, conversationId, `during ${i}`);
    expect(await storedSeqs(conversationId)).toEqual(range(1, 4));
    await eventually(() => seqsSeen(bobOnA, conversationId).length === 4);
    expect(seqsSeen(bobOnA, conversationId)).toEqual(range(1, 4));
    // Cy's instance heard nothing; Cy closes the gap with resume (the database is the truth).
    await new Promise((r) => setTimeout(r, 300));
    expect(seqsSeen(cyOnB, conversationId)).toEqual([1]);
    cyOnB.send({ type: 'resume', cursors: { [conversationId]: 1 } });
    await cyOnB.next((f) => f.type === 'resumed');
    expect(seqsSeen(cyOnB, conversationId)).toEqual(range(1, 4));

    await startNats(nats!);
    // Both instances reconnect by themselves (every 2 s); live traffic between them flows again.
    let n = 0;
    await eventually(async () => {
      await send(adaOnA, conversationId, `after ${++n}`);
      await new Promise((r) => setTimeout(r, 200));
      return seqsSeen(cyOnB, conversationId).some((seq) => seq > 4);
    }, 15_000);
    const seen = seqsSeen(cyOnB, conversationId);
    // What was sent before the channel came back is not replayed late: no duplicates, in order.
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
    expect(await storedSeqs(conversationId)).toEqual(range(1, 4 + n));
    for (const s of [adaOnA, bobOnA, cyOnB]) s.close();
  });
});
