// Child-process entry: a share of the chat bench's clients (real WebSockets, or Socket.IO clients
// for its peer row), driven by the parent over IPC (load-job.ts). Load runs outside the server's
// process, as in production; several of these spread the client work over the cores.
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { ClientKind, ClientSpec, DirectCommand, FanoutGoCommand, LoadAnswer, LoadCommand, OpenCommand } from './load-job.js';

/** Wall-clock ms with sub-ms resolution, comparable between the load processes of one machine. */
const now = (): number => performance.timeOrigin + performance.now();
const OPEN_TIMEOUT_MS = 30_000;
const OPEN_CONCURRENCY = 100;
const DRAIN_MAX_MS = 30_000;
/** Pads bodies to a realistic chat line. */
const PAD = 'the quick brown fox jumps over the lazy dog';

interface Client {
  readonly spec: ClientSpec;
  userId: string;
  inflight: boolean;
  closed: boolean;
  sendText(text: string): void;
  emit(message: unknown, ack: () => void): void;
  close(): Promise<void>;
}

let clients: Client[] = [];
let kind: ClientKind = 'chat';
let sequence = 0;
const clientMsgId = (): string => `b${process.pid}-${sequence++}`;

// The running direct test, when any.
let direct: { command: DirectCommand; from: number; to: number; running: boolean; acked: number; latencies: number[]; errors: number } | undefined;
// The armed fan-out, when any.
let fanout: { marker: string; expected: number; received: number; lastAt: number; startAt?: number; selfReceived: number; sent: number; go?: FanoutGoCommand } | undefined;
let closedCount = 0;

function onFrame(client: Client, text: string): void {
  // Only message.new counts: read receipts and the like name the conversation too.
  if (fanout !== undefined && text.startsWith('{"type":"message.new"') && text.includes(fanout.marker)) {
    countFanout(client);
    return;
  }
  let frame: { type?: string; message?: { senderId: string; body: string } };
  try {
    frame = JSON.parse(text) as typeof frame;
  } catch {
    return;
  }
  if (frame.type === 'message.ack') onAck(client);
  else if (frame.type === 'error') {
    if (direct !== undefined) direct.errors++;
    onAck(client);
  } else if (frame.type === 'message.new' && direct !== undefined && frame.message !== undefined && frame.message.senderId !== client.userId) {
    const sentAt = Number.parseFloat(frame.message.body.slice(2));
    if (sentAt >= direct.from && sentAt <= direct.to) direct.latencies.push(now() - sentAt);
  }
}

function countFanout(client: Client): void {
  const f = fanout!;
  f.received++;
  f.lastAt = now();
  if (client === clients[0] && f.go !== undefined) {
    f.selfReceived++;
    pumpFanout();
  }
}

function onAck(client: Client): void {
  client.inflight = false;
  if (direct === undefined) return;
  const t = now();
  if (t >= direct.from && t <= direct.to) direct.acked++;
  if (direct.command.mode === 'max') sendDirect(client);
}

function sendDirect(client: Client): void {
  if (direct === undefined || !direct.running || client.inflight || client.closed) return;
  client.inflight = true;
  client.sendText(JSON.stringify({ type: 'message.send', conversationId: client.spec.conversationId, clientMsgId: clientMsgId(), body: `t=${now()} ${PAD}` }));
}

async function openChat(spec: ClientSpec, url: string, localAddress: string, kind: 'chat' | 'ws'): Promise<Client> {
  const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
  let ready: ((userId: string) => void) | undefined;
  const client: Client = {
    spec,
    userId: '',
    inflight: false,
    closed: false,
    sendText: (text) => ws.send(text),
    emit: () => undefined,
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
        setTimeout(() => ws.terminate(), 3_000).unref();
      }),
  };
  ws.on('message', (data) => {
    const text = String(data);
    if (ready !== undefined && text.startsWith('{"type":"ready"')) {
      ready((JSON.parse(text) as { userId: string }).userId);
      return;
    }
    onFrame(client, text);
  });
  ws.on('close', () => {
    client.closed = true;
    closedCount++;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
  });
  ws.on('error', () => undefined);
  if (kind === 'chat') {
    client.userId = await new Promise<string>((resolve, reject) => {
      ready = resolve;
      ws.once('close', (code) => reject(new Error(`closed with ${code} before ready`)));
      ws.send(JSON.stringify({ type: 'auth', token: spec.token }));
    });
    ready = undefined;
  }
  return client;
}

async function openSocketIo(spec: ClientSpec, url: string): Promise<Client> {
  // forceNew: a connection of its own per client, as separate browsers have (not multiplexed).
  const socket: Socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  const client: Client = {
    spec,
    userId: '',
    inflight: false,
    closed: false,
    sendText: () => undefined,
    emit: (message, ack) => void socket.emit('send', message, ack),
    close: async () => void socket.disconnect(),
  };
  socket.on('message.new', () => {
    if (fanout !== undefined) countFanout(client);
  });
  socket.on('disconnect', () => {
    client.closed = true;
    closedCount++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}

async function open(command: OpenCommand): Promise<LoadAnswer> {
  kind = command.kind;
  let failed = 0;
  let next = 0;
  const opened: Client[] = [];
  const lane = async (): Promise<void> => {
    while (next < command.clients.length) {
      const index = next++;
      const spec = command.clients[index]!;
      const localAddress = command.localAddresses[index % command.localAddresses.length]!;
      const attempt = command.kind === 'socket.io' ? openSocketIo(spec, command.url) : openChat(spec, command.url, localAddress, command.kind);
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('open timed out')), OPEN_TIMEOUT_MS).unref());
      try {
        opened[index] = await Promise.race([attempt, timeout]);
      } catch (err) {
        if (failed++ === 0) process.stderr.write(`chat bench: a client failed to open: ${(err as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, lane));
  clients = [...clients, ...opened.filter((c) => c !== undefined)];
  return { type: 'opened', count: clients.length, failed };
}

async function runDirect(command: DirectCommand): Promise<LoadAnswer> {
  const start = now();
  direct = { command, from: start + command.warmupMs, to: start + command.warmupMs + command.durationMs, running: true, acked: 0, latencies: [], errors: 0 };
  const closedBefore = closedCount;
  let timer: NodeJS.Timeout | undefined;
  if (command.mode === 'max') for (const client of clients) sendDirect(client);
  else {
    let sent = 0;
    let cursor = 0;
    timer = setInterval(() => {
      const due = Math.floor((command.rate * (now() - start)) / 1000) - sent;
      for (let i = 0; i < due; i++) {
        // The next idle client in turn; when all are waiting for acks, the rest waits for the next tick.
        let client: Client | undefined;
        for (let k = 0; k < clients.length && client === undefined; k++) {
          const candidate = clients[(cursor + k) % clients.length]!;
          if (!candidate.inflight && !candidate.closed) {
            client = candidate;
            cursor = (cursor + k + 1) % clients.length;
          }
        }
        if (client === undefined) break;
        sendDirect(client);
        sent++;
      }
    }, 2);
  }
  await new Promise((r) => setTimeout(r, command.warmupMs + command.durationMs));
  direct.running = false;
  clearInterval(timer);
  // Messages sent inside the window count when they arrive, however late: until every send is acked (bounded), then a moment for the last deliveries.
  const drainEnd = now() + DRAIN_MAX_MS;
  while (clients.some((c) => c.inflight && !c.closed) && now() < drainEnd) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  const result: LoadAnswer = { type: 'direct', acked: direct.acked, latencies: direct.latencies, errors: direct.errors, closed: closedCount - closedBefore };
  direct = undefined;
  for (const client of clients) client.inflight = false;
  return result;
}

function pumpFanout(): void {
  const f = fanout!;
  const go = f.go!;
  const sender = clients[0]!;
  while (f.sent < go.messages && f.sent - f.selfReceived < go.window) {
    f.sent++;
    if (kind === 'chat') sender.sendText(JSON.stringify({ type: 'message.send', conversationId: go.conversationId, clientMsgId: clientMsgId(), body: go.payload }));
    else if (kind === 'ws') sender.sendText(go.payload);
    else sender.emit(JSON.parse(go.payload), () => undefined);
  }
}

async function waitFanout(timeoutMs: number): Promise<LoadAnswer> {
  const f = fanout!;
  const end = Date.now() + timeoutMs;
  while (f.received < f.expected && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  const result: LoadAnswer = { type: 'fanout', ...(f.startAt === undefined ? {} : { startAt: f.startAt }), lastAt: f.lastAt, received: f.received, expected: f.expected, closed: closedCount };
  fanout = undefined;
  return result;
}

async function handle(command: LoadCommand): Promise<LoadAnswer> {
  switch (command.type) {
    case 'open':
      return open(command);
    case 'direct':
      return runDirect(command);
    case 'fanout-arm':
      fanout = { marker: command.marker, expected: command.messages * clients.length, received: 0, lastAt: 0, selfReceived: 0, sent: 0 };
      return { type: 'ok' };
    case 'fanout-go':
      fanout!.go = command;
      fanout!.startAt = now();
      pumpFanout();
      return { type: 'ok' };
    case 'fanout-wait':
      return waitFanout(command.timeoutMs);
    case 'close':
      await Promise.all(clients.map((c) => c.close()));
      clients = [];
      closedCount = 0;
      return { type: 'ok' };
  }
}

process.on('message', (command: LoadCommand) => {
  handle(command).then(
    (answer) => process.send!(answer),
    (err: unknown) => process.send!({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies LoadAnswer),
  );
});
process.on('disconnect', () => process.exit(0));
