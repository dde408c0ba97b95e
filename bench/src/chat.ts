/**
 * Chat (issue 12): the real system (`realchat start`: gateway, auth and chat in one process) on
 * PostgreSQL + Redis + NATS and on PGlite, driven by real WebSocket clients in child processes.
 * Rows: persisted messages/s with end-to-end p50/p99 (send → the recipient's `message.new`) at
 * 1,000 connected clients in direct conversations, each also holding the notification socket as
 * the web app does (and once without it, so that every message writes a notification); p99 at a fixed 2,000 msg/s (and at 200, under
 * capacity); fan-out of one message to a 1,000-member group against a bare `ws` broadcast (the
 * limit) and a Socket.IO room (what people pick), neither persisting anything; RSS per idle
 * authenticated socket at 10,000.
 *
 * Processes: the system under test alone in its process (Node itself, so its RSS and CPU are its
 * own); the load in LOAD_PROCESSES children; PostgreSQL, Redis and a private nats-server beside
 * them. On 2 cores the load generators and the server share the machine in every row alike.
 * `CHAT_BENCH_PROFILE=1` starts the systems with `--cpu-prof` (profiles under bench/results/profiles).
 */
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { printEnvironment, printTable, reproduce, settle, shuffle, writeResult, type Row } from './lib/report.js';
import type { BroadcastKind } from './chat/broadcast-worker.js';
import type { ClientKind, ClientSpec, DirectResult, FanoutResult, LoadAnswer, LoadCommand } from './chat/load-job.js';
import { processTreeCpuMs } from './http/cpu.js';
import { startServerProcess } from './http/server-process.js';
import { api, exited, expectStatus, inParallel, percentile, signUp, startSystem, type System, type SystemKind } from './lib/system.js';

const COMMAND = 'npm run -w @realchat/bench chat';
const USERS = 1_000;
const LOAD_PROCESSES = 2;
const IDLE_SOCKETS = 10_000;
const IDLE_LOAD_PROCESSES = 4;
const FIXED_RATE = 2_000;
/** Well under capacity on this machine: the path's own latency, without queueing. */
const LOW_RATE = 200;
const WARMUP_MS = 2_000;
const DURATION_MS = 5_000;
const FANOUT_MESSAGES = 100;
const FANOUT_WINDOW = 8;
const FANOUT_ROUNDS = 3;
const PASSWORD = 'correct horse battery';
const PROFILE_DIR = fileURLToPath(new URL('../results/profiles/', import.meta.url));
const PROFILE = process.env['CHAT_BENCH_PROFILE'] === '1';

const GOALS = { persistedPerSec: 5_000, p99Ms: 50, fanoutVsWs: 0.6, idleMb: 500 } as const;

// ---------------------------------------------------------------- processes

/** `realchat start` with the chat bench's limits (and `--cpu-prof` when CHAT_BENCH_PROFILE=1). */
function startChatSystem(kind: SystemKind): Promise<System> {
  const env = {
    GATEWAY_WS_MAX_PER_IP: String(IDLE_SOCKETS * 2),
    // The bench's users send far more than a person does.
    CHAT_SEND_RATE_PER_MINUTE: '1000000',
  };
  const name = `chat-${kind}-${randomBytes(4).toString('hex')}`;
  if (PROFILE) console.log(`  CPU profile: ${PROFILE_DIR}${name}.cpuprofile`);
  return startSystem(kind, { env, ...(PROFILE ? { profile: { dir: PROFILE_DIR, name } } : {}) });
}

/** A load process (chat/load-worker.ts): one command at a time, each with one answer. */
class LoadProcess {
  readonly #child = fork(new URL('./chat/load-worker.ts', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  readonly #waiting: Array<{ resolve: (answer: LoadAnswer) => void; reject: (err: Error) => void }> = [];

  get pid(): number {
    return this.#child.pid!;
  }

  constructor() {
    this.#child.on('message', (answer: LoadAnswer) => {
      const waiter = this.#waiting.shift();
      if (answer.type === 'error') waiter?.reject(new Error(answer.message));
      else waiter?.resolve(answer);
    });
    this.#child.once('exit', (code) => {
      for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error(`load process exited with ${code}`));
    });
  }

  request<T extends LoadAnswer>(command: LoadCommand): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve: resolve as (answer: LoadAnswer) => void, reject });
      this.#child.send(command);
    });
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const done = exited(this.#child);
    this.#child.disconnect();
    await done;
  }
}

/** Opens `specs` spread over `processes` load processes (spec i in process i % n). */
async function openClients(kind: ClientKind, url: string, specs: readonly ClientSpec[], processes: number, sourceAddresses: (p: number) => string[] = () => ['127.0.0.1']): Promise<LoadProcess[]> {
  const loads = Array.from({ length: processes }, () => new LoadProcess());
  const answers = await Promise.all(
    loads.map((load, p) => load.request<{ type: 'opened'; count: number; failed: number }>({ type: 'open', kind, url, clients: specs.filter((_, i) => i % processes === p), localAddresses: sourceAddresses(p) })),
  );
  const failed = answers.reduce((n, a) => n + a.failed, 0);
  if (failed > 0) throw new Error(`${failed} of ${specs.length} ${kind} clients failed to open`);
  return loads;
}

async function closeClients(loads: readonly LoadProcess[]): Promise<void> {
  await Promise.all(loads.map((l) => l.request({ type: 'close' })));
  await Promise.all(loads.map((l) => l.close()));
}

// ---------------------------------------------------------------- setup

interface BenchUser {
  readonly id: string;
  readonly token: string;
}

/**
 * USERS users (registered and signed in through the gateway) in USERS / 2 direct conversations,
 * each made as a person makes it: friend request, accept, conversation.
 */
async function signUpUsers(system: System): Promise<BenchUser[]> {
  const run = randomBytes(3).toString('hex');
  return inParallel(USERS, 16, (i) => signUp(system.url, `bench-${run}-${i}@example.com`, `User ${i}`, PASSWORD));
}

/**
 * USERS users (registered and signed in through the gateway) in USERS / 2 direct conversations,
 * each made as a person makes it: friend request, accept, conversation.
 */
async function setUp(system: System): Promise<{ users: BenchUser[]; conversations: string[]; ms: number }> {
  const start = Date.now();
  const users = await signUpUsers(system);
  const conversations = await inParallel(USERS / 2, 16, async (k) => {
    const [a, b] = [users[2 * k]!, users[2 * k + 1]!];
    const request = await expectStatus(() => api<{ id: string }>(system.url, a.token, 'POST', '/chat/friends/requests', { userId: b.id }), [201], 'friend request');
    await expectStatus(() => api(system.url, b.token, 'POST', `/chat/friends/requests/${request.id}/accept`), [200], 'accept');
    const conversation = await expectStatus(() => api<{ id: string }>(system.url, a.token, 'POST', '/chat/conversations', { type: 'direct', userId: b.id }), [200, 201], 'conversation');
    return conversation.id;
  });
  return { users, conversations, ms: Date.now() - start };
}

// ---------------------------------------------------------------- measurements

interface DirectRun {
  readonly perSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
  readonly errors: number;
  readonly closed: number;
  /** CPU per message acked in the window (µs): the system's process, its PostgreSQL backends (when used), the load processes. */
  readonly cpuUsPerMessage: { readonly server: number; readonly database: number | undefined; readonly load: number };
}

/**
 * CPU used so far (ms) by the system's process, by the PostgreSQL backends serving its database
 * (not the other databases of the machine's server) and by the load processes.
 */
async function cpuNow(system: System, loads: readonly LoadProcess[]): Promise<{ server: number; database: number | undefined; load: number }> {
  let database: number | undefined;
  if (system.db !== undefined) {
    const { rows } = await system.db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
    database = rows.reduce((ms, r) => ms + processTreeCpuMs(r.pid), 0);
  }
  return { server: processTreeCpuMs(system.pid), database, load: loads.reduce((ms, l) => ms + processTreeCpuMs(l.pid), 0) };
}

async function directRun(loads: readonly LoadProcess[], system: System, mode: 'max' | 'rate', rate = 0): Promise<DirectRun> {
  // CPU is read at the edges of the measured window, on the same schedule as the load processes.
  const cpu: Array<Promise<Awaited<ReturnType<typeof cpuNow>>>> = [];
  const first = setTimeout(() => cpu.push(cpuNow(system, loads)), WARMUP_MS);
  const second = setTimeout(() => cpu.push(cpuNow(system, loads)), WARMUP_MS + DURATION_MS);
  const results = await Promise.all(loads.map((l) => l.request<DirectResult>({ type: 'direct', mode, rate: rate / loads.length, warmupMs: WARMUP_MS, durationMs: DURATION_MS })));
  clearTimeout(first);
  clearTimeout(second);
  const acked = results.reduce((n, r) => n + r.acked, 0);
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const per = (ms: number): number => (ms * 1000) / Math.max(1, acked);
  const [c0, c1] = await Promise.all([cpu[0]!, cpu[1]!]);
  return {
    perSec: (acked * 1000) / DURATION_MS,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    samples: latencies.length,
    errors: results.reduce((n, r) => n + r.errors, 0),
    closed: results.reduce((n, r) => n + r.closed, 0),
    cpuUsPerMessage: { server: per(c1.server - c0.server), database: c0.database === undefined ? undefined : per(c1.database! - c0.database), load: per(c1.load - c0.load) },
  };
}

/**
 * Waits until the system is quiet: what a run leaves behind (the outbox relay's publishes, the
 * notification consumer) is done before the next run starts, which then measures its own
 * condition. Resolves with the time it took (capped at 2 minutes).
 */
async function quiesce(system: System): Promise<number> {
  const start = Date.now();
  let before = processTreeCpuMs(system.pid);
  while (Date.now() - start < 120_000) {
    await settle(500);
    const now = processTreeCpuMs(system.pid);
    // Under 5 % of a core: the sockets' heartbeats and the relay's polls, nothing queued.
    if (now - before < 25) break;
    before = now;
  }
  return Date.now() - start;
}

/** Runs `run` on a quiet system, saying how long the previous run's work went on. */
async function onQuiet<T>(system: System, what: string, run: () => Promise<T>): Promise<T> {
  const ms = await quiesce(system);
  if (ms > 1_000) console.log(`  ${system.name}: before ${what}, ${(ms / 1000).toFixed(1)} s for the previous run's outbox and consumers to finish`);
  return run();
}

/** The CPU split of a run, for the log and the table. */
function cpuSplit(run: DirectRun): string {
  const { server, database, load } = run.cpuUsPerMessage;
  return `CPU/msg: ${Math.round(server)} µs server${database === undefined ? '' : `, ${Math.round(database)} µs PostgreSQL`}, ${Math.round(load)} µs load`;
}

interface FanoutRun {
  readonly deliveriesPerSec: number;
  readonly messagesPerSec: number;
  readonly received: number;
  readonly expected: number;
  readonly cpuUsPerDelivery: number;
}

/** FANOUT_MESSAGES messages from the first client, each to every client; time from the first send to the last frame anywhere. */
async function fanoutRun(loads: readonly LoadProcess[], pid: number, marker: string, payload: string, conversationId?: string): Promise<FanoutRun> {
  await Promise.all(loads.map((l) => l.request({ type: 'fanout-arm', messages: FANOUT_MESSAGES, marker })));
  const cpu0 = processTreeCpuMs(pid);
  await loads[0]!.request({ type: 'fanout-go', messages: FANOUT_MESSAGES, window: FANOUT_WINDOW, payload, ...(conversationId === undefined ? {} : { conversationId }) });
  const results = await Promise.all(loads.map((l) => l.request<FanoutResult>({ type: 'fanout-wait', timeoutMs: 60_000 })));
  const cpuMs = processTreeCpuMs(pid) - cpu0;
  const startAt = results[0]!.startAt!;
  const elapsedMs = Math.max(...results.map((r) => r.lastAt)) - startAt;
  const received = results.reduce((n, r) => n + r.received, 0);
  const expected = results.reduce((n, r) => n + r.expected, 0);
  return { deliveriesPerSec: (received * 1000) / elapsedMs, messagesPerSec: (FANOUT_MESSAGES * 1000) / elapsedMs, received, expected, cpuUsPerDelivery: (cpuMs * 1000) / Math.max(1, received) };
}

/** A message.new frame of the size chat sends, for the peers to broadcast (`marker` in it). */
function sampleFrame(marker: string): string {
  return JSON.stringify({
    type: 'message.new',
    message: { id: randomUUID(), conversationId: marker, seq: 1, senderId: randomUUID(), clientMsgId: 'b1-1', body: FANOUT_BODY, createdAt: new Date().toISOString(), editedAt: null, deletedAt: null, reactions: [] },
  });
}
const FANOUT_BODY = 'fan-out: the quick brown fox jumps over the lazy dog';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** One fan-out contender: its load processes, the server process whose CPU counts, what it sends. */
interface FanoutContender {
  readonly name: 'chat' | BroadcastKind;
  readonly loads: readonly LoadProcess[];
  readonly pid: number;
  readonly marker: string;
  readonly payload: string;
  readonly conversationId?: string;
  close(): Promise<void>;
}

/** A peer broadcast server (chat/broadcast-worker.ts) with USERS clients of its own. */
async function startPeer(kind: BroadcastKind): Promise<FanoutContender> {
  const server = await startServerProcess(new URL('./chat/broadcast-worker.ts', import.meta.url), kind);
  const marker = randomUUID();
  const url = kind === 'ws' ? server.url.replace('http://', 'ws://') : server.url;
  const loads = await openClients(kind, url, Array.from({ length: USERS }, () => ({})), LOAD_PROCESSES);
  return {
    name: kind,
    loads,
    pid: server.pid,
    marker,
    payload: sampleFrame(marker),
    async close() {
      await closeClients(loads);
      await server.close();
    },
  };
}

/**
 * The contenders take turns, FANOUT_ROUNDS rounds in a new random order each (after one warm-up
 * run each); the best run counts. Side by side, load from other work falls on all of them alike.
 */
async function fanoutRounds(contenders: readonly FanoutContender[]): Promise<Map<string, FanoutRun>> {
  for (const c of contenders) await fanoutRun(c.loads, c.pid, c.marker, c.payload, c.conversationId);
  const best = new Map<string, FanoutRun>();
  const order = [...contenders];
  for (let round = 1; round <= FANOUT_ROUNDS; round++) {
    shuffle(order);
    for (const c of order) {
      await settle(500);
      const run = await fanoutRun(c.loads, c.pid, c.marker, c.payload, c.conversationId);
      console.log(`  fan-out round ${round}: ${c.name.padEnd(9)} ${Math.round(run.deliveriesPerSec).toString().padStart(7)} deliveries/s (${run.received}/${run.expected}), ${run.cpuUsPerDelivery.toFixed(1)} µs server CPU/delivery`);
      const previous = best.get(c.name);
      if (previous === undefined || run.deliveriesPerSec > previous.deliveriesPerSec) best.set(c.name, run);
    }
  }
  return best;
}

interface SystemResult {
  readonly setupMs: number;
  readonly max: DirectRun;
  readonly fixed: DirectRun;
  readonly low: DirectRun;
  /** Postgres only: the closed loop again with no notification socket open, so that every message also writes a notification. */
  readonly offline?: DirectRun;
  /** Postgres only: chat, bare ws and Socket.IO, side by side. */
  readonly fanout?: ReadonlyMap<string, FanoutRun>;
}

interface IdleResult {
  readonly sockets: number;
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  readonly kbPerSocket: number;
}

async function measureSystem(kind: 'pglite' | 'postgres'): Promise<SystemResult> {
  const system = await startChatSystem(kind);
  try {
    const { users, conversations, ms: setupMs } = await setUp(system);
    console.log(`  ${system.name}: ${USERS} users signed up, befriended in pairs, ${conversations.length} direct conversations in ${(setupMs / 1000).toFixed(1)} s`);
    const wsUrl = `${system.url.replace('http://', 'ws://')}/chat/ws`;
    const specs = users.map((u, i) => ({ token: u.token, conversationId: conversations[i >> 1]! }));
    const loads = await openClients('chat', wsUrl, specs, LOAD_PROCESSES);
    // Signed in as the web app is, with the bell's /notifications/ws open beside the chat: recipients see messages live, and none notifies.
    let bells: LoadProcess[] | undefined = await openClients('chat', `${system.url.replace('http://', 'ws://')}/notifications/ws`, users.map((u) => ({ token: u.token })), 1);
    let max: DirectRun;
    let fixed: DirectRun;
    let low: DirectRun;
    let offline: DirectRun | undefined;
    let fanout: Map<string, FanoutRun> | undefined;
    try {
      max = await onQuiet(system, 'the closed loop', () => directRun(loads, system, 'max'));
      console.log(`  ${system.name}: ${Math.round(max.perSec)} persisted msg/s, p50 ${max.p50.toFixed(1)} ms, p99 ${max.p99.toFixed(1)} ms, ${cpuSplit(max)} (${max.errors} errors, ${max.closed} closed)`);
      fixed = await onQuiet(system, `${FIXED_RATE} msg/s`, () => directRun(loads, system, 'rate', FIXED_RATE));
      console.log(`  ${system.name}: at ${FIXED_RATE} msg/s: ${Math.round(fixed.perSec)} acked/s, p50 ${fixed.p50.toFixed(1)} ms, p99 ${fixed.p99.toFixed(1)} ms, ${cpuSplit(fixed)} (${fixed.errors} errors, ${fixed.closed} closed)`);
      low = await onQuiet(system, `${LOW_RATE} msg/s`, () => directRun(loads, system, 'rate', LOW_RATE));
      console.log(`  ${system.name}: at ${LOW_RATE} msg/s: ${Math.round(low.perSec)} acked/s, p50 ${low.p50.toFixed(1)} ms, p99 ${low.p99.toFixed(1)} ms, ${cpuSplit(low)} (${low.errors} errors, ${low.closed} closed)`);
      if (system.db !== undefined) {
        // The group is written directly (1,000 friendships through REST would only slow the setup down); its messages take the real path.
        const group = randomUUID();
        await system.db.query("insert into chat.conversations (id, type, name, created_by, created_at, updated_at, last_activity_at) values ($1, 'group', 'Bench', $2, now(), now(), now())", [group, users[0]!.id]);
        await system.db.query("insert into chat.members (conversation_id, user_id, role, joined_at) select $1, u, case when u = $2 then 'owner' else 'member' end, now() from unnest($3::uuid[]) as u", [group, users[0]!.id, users.map((u) => u.id)]);
        const peers: FanoutContender[] = [];
        try {
          peers.push(await startPeer('ws'), await startPeer('socket.io'));
          const chat: FanoutContender = { name: 'chat', loads, pid: system.pid, marker: group, payload: FANOUT_BODY, conversationId: group, close: async () => undefined };
          fanout = await onQuiet(system, 'the fan-out', () => fanoutRounds([chat, ...peers]));
        } finally {
          for (const peer of peers) await peer.close();
        }
        // Last, as its notifications are still being written after it: every recipient offline for notifications.
        await closeClients(bells);
        bells = undefined;
        offline = await onQuiet(system, 'the closed loop without bells', () => directRun(loads, system, 'max'));
        console.log(`  ${system.name}, no bell sockets: ${Math.round(offline.perSec)} persisted msg/s, p50 ${offline.p50.toFixed(1)} ms, p99 ${offline.p99.toFixed(1)} ms, ${cpuSplit(offline)} (${offline.errors} errors, ${offline.closed} closed)`);
      }
    } finally {
      if (bells !== undefined) await closeClients(bells);
      await closeClients(loads);
    }
    return { setupMs, max, fixed, low, ...(offline === undefined ? {} : { offline }), ...(fanout === undefined ? {} : { fanout }) };
  } finally {
    await system.close();
  }
}

/**
 * Idle authenticated sockets on a fresh system (no load run before it, whose garbage the
 * collector would return meanwhile): USERS users with IDLE_SOCKETS / USERS devices each, from
 * several source addresses. RSS of the server process before and after, each after a pause.
 */
async function measureIdle(): Promise<IdleResult> {
  const system = await startChatSystem('postgres');
  try {
    const users = await signUpUsers(system);
    const wsUrl = `${system.url.replace('http://', 'ws://')}/chat/ws`;
    await settle(5_000);
    const rssBeforeMb = rssMb(system.pid);
    const specs = Array.from({ length: IDLE_SOCKETS }, (_, i) => ({ token: users[i % USERS]!.token }));
    const loads = await openClients('chat', wsUrl, specs, IDLE_LOAD_PROCESSES, (p) => [`127.0.0.${2 + p}`]);
    await settle(5_000);
    const rssAfterMb = rssMb(system.pid);
    await closeClients(loads);
    const kbPerSocket = ((rssAfterMb - rssBeforeMb) * 1024) / IDLE_SOCKETS;
    console.log(`  ${system.name}: ${IDLE_SOCKETS} idle sockets: RSS ${rssBeforeMb.toFixed(0)} → ${rssAfterMb.toFixed(0)} MB (${kbPerSocket.toFixed(1)} KiB per socket)`);
    return { sockets: IDLE_SOCKETS, rssBeforeMb, rssAfterMb, kbPerSocket };
  } finally {
    await system.close();
  }
}

// ---------------------------------------------------------------- run

const loadBefore = loadavg()[0]!;
printEnvironment();
console.log(`Chat: ${USERS} clients in ${LOAD_PROCESSES} load processes; ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s per run; fan-out ${FANOUT_MESSAGES} messages (window ${FANOUT_WINDOW}), best of ${FANOUT_ROUNDS} interleaved rounds; ${IDLE_SOCKETS} idle sockets.`);
const postgres = await measureSystem('postgres');
await settle(1_000);
const pglite = await measureSystem('pglite');
await settle(1_000);
const idle = await measureIdle();

const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');
const chatFanout = postgres.fanout!.get('chat')!;
const bareWs = postgres.fanout!.get('ws')!;
const socketIo = postgres.fanout!.get('socket.io')!;
const rows: Row[] = [
  {
    name: 'persisted msg/s, Postgres (1,000 clients, direct)',
    value: postgres.max.perSec,
    unit: 'msg/s',
    ratio: postgres.max.perSec / GOALS.persistedPerSec,
    note: `vs goal ${GOALS.persistedPerSec.toLocaleString('en-US')}/s: ${verdict(postgres.max.perSec >= GOALS.persistedPerSec)}; p50 ${postgres.max.p50.toFixed(1)} ms, p99 ${postgres.max.p99.toFixed(1)} ms; ${cpuSplit(postgres.max)}`,
  },
  {
    name: 'persisted msg/s, Postgres, recipients offline for notifications',
    value: postgres.offline!.perSec,
    unit: 'msg/s',
    ratio: postgres.offline!.perSec / postgres.max.perSec,
    note: `vs online; every message also writes a notification; p50 ${postgres.offline!.p50.toFixed(1)} ms, p99 ${postgres.offline!.p99.toFixed(1)} ms; ${cpuSplit(postgres.offline!)}`,
  },
  {
    name: 'persisted msg/s, PGlite (1,000 clients, direct)',
    value: pglite.max.perSec,
    unit: 'msg/s',
    ratio: pglite.max.perSec / postgres.max.perSec,
    note: `vs Postgres; p50 ${pglite.max.p50.toFixed(1)} ms, p99 ${pglite.max.p99.toFixed(1)} ms; ${cpuSplit(pglite.max)}`,
  },
  {
    name: `p99 send → message.new at ${FIXED_RATE.toLocaleString('en-US')} msg/s, Postgres`,
    value: postgres.fixed.p99,
    unit: 'ms',
    ratio: postgres.fixed.p99 / GOALS.p99Ms,
    note: `vs goal < ${GOALS.p99Ms} ms: ${verdict(postgres.fixed.p99 < GOALS.p99Ms)}; p50 ${postgres.fixed.p50.toFixed(1)} ms; ${Math.round(postgres.fixed.perSec)} acked/s`,
  },
  {
    name: `p99 send → message.new at ${FIXED_RATE.toLocaleString('en-US')} msg/s, PGlite`,
    value: pglite.fixed.p99,
    unit: 'ms',
    ratio: pglite.fixed.p99 / GOALS.p99Ms,
    note: `vs ${GOALS.p99Ms} ms; p50 ${pglite.fixed.p50.toFixed(1)} ms; ${Math.round(pglite.fixed.perSec)} acked/s`,
  },
  ...[postgres, pglite].map((r, i): Row => ({
    name: `p99 send → message.new at ${LOW_RATE} msg/s, ${i === 0 ? 'Postgres' : 'PGlite'}`,
    value: r.low.p99,
    unit: 'ms',
    ratio: r.low.p99 / GOALS.p99Ms,
    note: `vs ${GOALS.p99Ms} ms, under capacity: the path without queueing; p50 ${r.low.p50.toFixed(1)} ms; ${Math.round(r.low.perSec)} acked/s`,
  })),
  {
    name: `fan-out to a ${USERS.toLocaleString('en-US')}-member group, chat (Postgres)`,
    value: chatFanout.deliveriesPerSec,
    unit: 'deliveries/s',
    ratio: chatFanout.deliveriesPerSec / bareWs.deliveriesPerSec,
    note: `vs bare ws, goal ≥ ${GOALS.fanoutVsWs}×: ${verdict(chatFanout.deliveriesPerSec >= GOALS.fanoutVsWs * bareWs.deliveriesPerSec)}; ${(chatFanout.deliveriesPerSec / socketIo.deliveriesPerSec).toFixed(2)}× Socket.IO (goal > 1×: ${verdict(chatFanout.deliveriesPerSec > socketIo.deliveriesPerSec)}); ${chatFanout.cpuUsPerDelivery.toFixed(1)} µs CPU/delivery`,
  },
  { name: 'fan-out, bare ws broadcast (the limit)', value: bareWs.deliveriesPerSec, unit: 'deliveries/s', note: `${bareWs.cpuUsPerDelivery.toFixed(1)} µs CPU/delivery` },
  {
    name: 'fan-out, Socket.IO room (no persistence)',
    value: socketIo.deliveriesPerSec,
    unit: 'deliveries/s',
    ratio: socketIo.deliveriesPerSec / bareWs.deliveriesPerSec,
    note: `vs bare ws; ${socketIo.cpuUsPerDelivery.toFixed(1)} µs CPU/delivery`,
  },
  {
    name: `RSS of ${IDLE_SOCKETS.toLocaleString('en-US')} idle authenticated sockets (server)`,
    value: idle.rssAfterMb,
    unit: 'MB',
    ratio: idle.rssAfterMb / GOALS.idleMb,
    note: `vs goal < ${GOALS.idleMb} MB: ${verdict(idle.rssAfterMb < GOALS.idleMb)}; +${(idle.rssAfterMb - idle.rssBeforeMb).toFixed(0)} MB over ${idle.rssBeforeMb.toFixed(0)} MB, ${idle.kbPerSocket.toFixed(1)} KiB per socket`,
  },
];
printTable(`Chat, the real system (realchat start) on 2 cores shared with its load, PostgreSQL, Redis and NATS`, rows);
console.log(`\nLoad average (1 min) before: ${loadBefore.toFixed(2)}, after: ${loadavg()[0]!.toFixed(2)} — other work on the machine lowers every row.`);
reproduce(COMMAND);
writeResult('chat', {
  command: COMMAND,
  users: USERS,
  loadProcesses: LOAD_PROCESSES,
  warmupMs: WARMUP_MS,
  durationMs: DURATION_MS,
  fixedRate: FIXED_RATE,
  lowRate: LOW_RATE,
  fanout: { messages: FANOUT_MESSAGES, window: FANOUT_WINDOW },
  goals: GOALS,
  loadAverage: { before: loadBefore, after: loadavg()[0] },
  postgres: { ...postgres, fanout: Object.fromEntries(postgres.fanout!) },
  pglite,
  idle,
});
