import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Type, type Static } from 'typebox';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { Revoked, UserPrincipal } from '@realchat/auth-verify';
import { ManualClock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import { silentLogger } from '@realchat/logging';
import { CloseCode, createFrameParser, createLiveEndpoint, frame, LiveSocket, textFrame, type SocketRegistry, type Transport } from '@realchat/live-socket';

/** A stand-in for a `ws` socket: records what is sent and how it closed. */
class FakeWs extends EventEmitter {
  bufferedAmount = 0;
  /** Not open: the socket sends through `send` (a transport's writes are for an open one). */
  readyState = 0;
  readonly sent: Array<Record<string, unknown> & { type: string }> = [];
  closeCode: number | undefined;
  terminated = false;
  send(data: Buffer, _options: unknown, cb: (err?: Error) => void): void {
    this.sent.push(JSON.parse(String(data)) as (typeof this.sent)[number]);
    cb();
  }
  ping(_data: unknown, _mask: unknown, cb: (err?: Error) => void): void {
    cb();
  }
  close(code: number): void {
    this.closeCode ??= code;
    queueMicrotask(() => this.emit('close'));
  }
  terminate(): void {
    this.terminated = true;
    queueMicrotask(() => this.emit('close'));
  }
  receive(frame: unknown): void {
    this.emit('message', Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame)), false);
  }
}

const Echo = frame('echo', { text: Type.String({ maxLength: 10 }) });
const frames = createFrameParser({ echo: Echo });

const principalOf = (token: string): UserPrincipal => {
  const [userId = '', sessionId = '', tokenId = ''] = token.split(':');
  return { kind: 'user', userId, sessionId, tokenId, roles: ['STUDENT'], scopes: [], expiresAt: new Date(Date.UTC(2026, 0, 1, 1)) };
};

/** A socket whose one service frame, `echo`, answers with the text, or fails on `boom` and waits on `wait`. */
class EchoSocket extends LiveSocket<Static<typeof Echo>> {
  release: (() => void) | undefined;
  protected override async handleFrame(frame: Static<typeof Echo>): Promise<void> {
    if (frame.text === 'boom') throw new AppError('CONFLICT', 'boom');
    if (frame.text === 'wait') await new Promise<void>((resolve) => (this.release = resolve));
    this.sendFrame({ type: 'echo', text: frame.text });
  }
}

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const listeners = new Set<(revoked: Revoked) => void>();
  const authentication = {
    verifier: { verify: async (token: string) => principalOf(token) },
    revocations: { isRevoked: () => false, isTokenRevoked: () => false },
    onRevoked: (listener: (revoked: Revoked) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as never;
  const endpoint = createLiveEndpoint({
    path: '/test/ws',
    clock,
    authentication,
    gauge: { name: 'test_sockets_open', help: 'test' },
    open: (ws, registry: SocketRegistry, transport) => new EchoSocket(ws, { clock, logger: silentLogger, authentication, authTimeoutMs: 1_000, queueMax: 16, frames, registry, transport }),
  });
  endpoint.start();
  /** A connection; without a `transport` (the upgrade request's socket), the socket writes uncorked. */
  const open = (transport?: Transport): { ws: FakeWs; socket: EchoSocket } => {
    const ws = new FakeWs();
    endpoint.endpoint.onConnection(ws as unknown as WebSocket, { socket: transport } as never);
    return { ws, socket: [...endpoint.sockets].at(-1)! };
  };
  const revoke = (revoked: Revoked): void => listeners.forEach((l) => l(revoked));
  return { clock, endpoint, open, revoke };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('live-socket', () => {
  it('refuses a service frame named like the socket\'s own', () => {
    expect(() => createFrameParser({ auth: frame('auth', {}) })).toThrow(TypeError);
  });

  it('auth → ready; frames in order; errors with the frame\'s ref; NOT_AUTHENTICATED before auth; BAD_FRAME for the rest', async () => {
    const { open } = setup();
    const { ws } = open();
    ws.receive({ type: 'echo', text: 'early', ref: 'r0' });
    ws.receive({ type: 'echo', text: 'far too long for it', ref: 'r1' });
    ws.receive('{');
    ws.receive({ type: 'auth', token: 'u1:s1:t1' });
    ws.receive({ type: 'echo', text: 'boom', ref: 'r2' });
    ws.receive({ type: 'echo', text: 'a' });
    ws.receive({ type: 'ping' });
    await settle();
    expect(ws.sent).toEqual([
      { type: 'error', code: 'BAD_FRAME', ref: 'r1' },
      { type: 'error', code: 'BAD_FRAME' },
      { type: 'error', code: 'NOT_AUTHENTICATED', ref: 'r0' },
      { type: 'ready', userId: 'u1', sessionId: 's1' },
      { type: 'error', code: 'CONFLICT', ref: 'r2' },
      { type: 'echo', text: 'a' },
      { type: 'pong' },
    ]);
  });

  it('closes with 4401 without auth in time, 4409 on a swap to another user, 4401 at the token\'s expiry', async () => {
    const { open, clock } = setup();
    const silent = open();
    const swapped = open();
    const kept = open();
    swapped.ws.receive({ type: 'auth', token: 'u1:s1:t1' });
    kept.ws.receive({ type: 'auth', token: 'u2:s2:t2' });
    await settle();
    swapped.ws.receive({ type: 'auth', token: 'u9:s9:t9' });
    await settle();
    expect(swapped.ws.closeCode).toBe(CloseCode.OTHER_USER);
    clock.advance(1_000);
    expect(silent.ws.closeCode).toBe(CloseCode.UNAUTHENTICATED);
    expect(kept.ws.closeCode).toBeUndefined();
    clock.advance(3_600_000);
    expect(kept.ws.closeCode).toBe(CloseCode.UNAUTHENTICATED);
  });

  it('closes the sockets of a revoked session or token with 4401, not the others', async () => {
    const { open, revoke } = setup();
    const [a, b, c] = [open(), open(), open()];
    a.ws.receive({ type: 'auth', token: 'u1:s1:t1' });
    b.ws.receive({ type: 'auth', token: 'u1:s2:t2' });
    c.ws.receive({ type: 'auth', token: 'u2:s3:t3' });
    await settle();
    revoke({ kind: 'session', sessionId: 's1' });
    revoke({ kind: 'token', tokenId: 't3' });
    expect([a.ws.closeCode, b.ws.closeCode, c.ws.closeCode]).toEqual([4401, undefined, 4401]);
  });

  it('refuses frames past 64 waiting (RATE_LIMITED), and closes with 4008 when the send queue overflows', async () => {
    const { open } = setup();
    const { ws, socket } = open();
    ws.receive({ type: 'auth', token: 'u1:s1:t1' });
    await settle();
    ws.receive({ type: 'echo', text: 'wait' });
    await settle();
    for (let i = 0; i < 64; i++) ws.receive({ type: 'echo', text: String(i) });
    expect(ws.sent.at(-1)).toEqual({ type: 'error', code: 'RATE_LIMITED' });
    socket.release!();
    await settle();
    expect(ws.sent.filter((f) => f.type === 'echo')).toHaveLength(64);
    ws.bufferedAmount = 10 * 1024 * 1024;
    for (let i = 0; i < 17; i++) ws.receive({ type: 'ping' });
    await settle();
    expect(ws.closeCode).toBe(CloseCode.TOO_SLOW);
  });

  it('writes the frames of one tick between one cork and one uncork of the transport, framed as ws frames them', async () => {
    const calls: string[] = [];
    const transport: Transport = {
      cork: () => void calls.push('cork'),
      uncork: () => void calls.push('uncork'),
      write: (chunk, cb) => {
        // An unmasked text frame of under 126 bytes: FIN and opcode 1, the length, the payload.
        expect([chunk[0], chunk[1]]).toEqual([0x81, chunk.length - 2]);
        calls.push(`write ${(JSON.parse(chunk.subarray(2).toString()) as { type: string }).type}`);
        queueMicrotask(() => cb());
        return true;
      },
    };
    const { ws } = setup().open(transport);
    ws.readyState = 1;
    ws.receive({ type: 'auth', token: 'u1:s1:t1' });
    await settle();
    ws.receive({ type: 'echo', text: 'a' });
    ws.receive({ type: 'echo', text: 'b' });
    ws.receive({ type: 'ping' });
    await settle();
    expect(calls).toEqual(['cork', 'write ready', 'uncork', 'cork', 'write echo', 'write echo', 'write pong', 'uncork']);
    // Once closing, ws is left to refuse what is still sent.
    ws.readyState = 2;
    ws.receive({ type: 'ping' });
    await settle();
    expect(calls).toHaveLength(8);
    expect(ws.sent.map((f) => f.type)).toEqual(['pong']);
  });

  it('frames payloads of every length class as ws reads them', async () => {
    const { WebSocketServer, WebSocket: Client } = await import('ws');
    const lengths = [0, 125, 126, 65_535, 65_536, 70_000];
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (_ws, request) => {
      for (const n of lengths) request.socket.write(textFrame(Buffer.from('é'.repeat(n >> 1) + 'x'.repeat(n & 1))));
    });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const client = new Client(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const got: Array<[number, boolean]> = [];
      await new Promise<void>((resolve, reject) => {
        client.on('message', (data, isBinary) => {
          got.push([(data as Buffer).length, isBinary]);
          if (got.length === lengths.length) resolve();
        });
        client.on('error', reject);
      });
      client.close();
      expect(got).toEqual(lengths.map((n) => [n, false]));
    } finally {
      server.close();
    }
  });

  it('stops with 1012 (cutting what does not close within the grace) and refuses new sockets', async () => {
    const { open, endpoint, clock } = setup();
    const { ws } = open();
    expect(endpoint.sockets.size).toBe(1);
    const stopped = endpoint.stop();
    await settle();
    clock.advance(2_000);
    await stopped;
    expect(ws.closeCode).toBe(CloseCode.RESTARTING);
    expect(endpoint.sockets.size).toBe(0);
    const late = new FakeWs();
    endpoint.endpoint.onConnection(late as unknown as WebSocket, {} as never);
    expect(late.closeCode).toBe(CloseCode.RESTARTING);
  });
});
