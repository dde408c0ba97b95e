import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '@realchat/store';
import type { WebSocket } from 'ws';
import { makeKey, makeStore, rawRequest, startGateway, startUpstream, startWsUpstream, STORE_KINDS, tokenFor, userClaims, wsConnect, type TestGateway, type TestKey, type WsOutcome, type WsUpstream, TEST_RULES } from './helpers.js';

const ORIGIN = 'https://app.realchat.test';

function opened(outcome: WsOutcome): WebSocket {
  if (!('socket' in outcome)) throw new Error(`handshake refused with ${outcome.status}: ${outcome.body}`);
  return outcome.socket;
}

function refused(outcome: WsOutcome): { status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> } {
  if ('socket' in outcome) {
    outcome.socket.terminate();
    throw new Error('handshake unexpectedly accepted');
  }
  return { status: outcome.status, headers: outcome.headers, body: JSON.parse(outcome.body) as Record<string, unknown> };
}

async function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const [data, isBinary] = (await once(socket, 'message')) as [Buffer, boolean];
  return { data, isBinary };
}

describe.each(STORE_KINDS)('WebSocket proxy (%s store)', (kind) => {
  let key: TestKey;
  let chat: WsUpstream;
  let store: KeyValueStore;
  let gw: TestGateway;

  beforeAll(async () => {
    key = await makeKey();
    chat = await startWsUpstream();
    store = makeStore(kind);
    // Discovery on, and /notifications known in advance, so it is proxied with an empty pool.
    gw = await startGateway({
      key,
      store,
      config: { upstreams: { chat: [chat.url] }, routes: [{ prefix: '/notifications', service: 'notifications' }], corsOrigins: [ORIGIN], discovery: { intervalMs: 60_000 }, access: [...TEST_RULES, { path: '/chat/admin/*', auth: 'required', roles: ['ADMIN'] }] },
    });
  });

  afterAll(async () => {
    await gw.close();
    await chat.close();
    await store.close();
  });

  it('echoes text and binary frames through the gateway', async () => {
    const socket = opened(await wsConnect(gw.url, '/chat/ws'));
    try {
      socket.send('{"type":"auth","token":"t"}');
      const text = await nextMessage(socket);
      expect(text.isBinary).toBe(false);
      expect(text.data.toString()).toBe('{"type":"auth","token":"t"}');
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      socket.send(bytes);
      const binary = await nextMessage(socket);
      expect(binary.isBinary).toBe(true);
      expect(Buffer.compare(binary.data, bytes)).toBe(0);
    } finally {
      socket.close();
    }
  });

  it('tunnels a handshake that declares an empty body (Content-Length: 0), as some clients send', async () => {
    const socket = opened(await wsConnect(gw.url, '/chat/ws', { 'content-length': '0' }));
    try {
      socket.send('ping');
      expect((await nextMessage(socket)).data.toString()).toBe('ping');
    } finally {
      socket.close();
    }
  });

  it("gives the upstream the gateway's request id and forwarded headers, never the client's identity headers", async () => {
    const before = chat.upgrades.length;
    const socket = opened(
      await wsConnect(gw.url, '/chat/ws?resume=7', {
        'x-request-id': 'ws-req-1',
        'x-user-id': 'admin',
        'x-roles': 'ADMIN',
        'x-principal': 'root',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.test',
        'x-custom': 'kept',
      }),
    );
    socket.close();
    const seen = chat.upgrades[before]!;
    expect(seen.url).toBe('/chat/ws?resume=7');
    expect(seen.headers['x-request-id']).toBe('ws-req-1');
    for (const name of ['x-user-id', 'x-roles', 'x-principal']) expect(seen.headers[name]).toBeUndefined();
    // No proxy is trusted: the client's forwarding headers are replaced by what the gateway saw.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const fresh = opened(await wsConnect(gw.url, '/chat/ws', { 'x-request-id': 'bad id <script>' }));
    fresh.close();
    expect(chat.upgrades[before + 1]!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an upgrade on a protected path without a valid token, before the upstream sees it', async () => {
    const before = chat.upgrades.length;
    const missing = refused(await wsConnect(gw.url, '/chat/live'));
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="realchat"');
    const bad = refused(await wsConnect(gw.url, '/chat/live', { authorization: 'Bearer x.y.z' }));
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ code: 'INVALID_TOKEN' });
    // Written raw: a WebSocket client would resolve the dot segments itself. The gateway resolves
    // them too, and judges the handshake as one on /chat/live.
    const dotted = await rawRequest(gw.url, '/oauth/%2e%2e/chat/live', { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    expect(dotted.status).toBe(401);
    expect(chat.upgrades.length).toBe(before);

    const token = tokenFor(key);
    const socket = opened(await wsConnect(gw.url, '/chat/live', { authorization: `Bearer ${token}` }));
    socket.close();
    expect(chat.upgrades.length).toBe(before + 1);
    expect(chat.upgrades[before]!.headers['authorization']).toBe(`Bearer ${token}`);
  });

  it('applies role rules to upgrades: 403 for a valid token without the role', async () => {
    const before = chat.upgrades.length;
    const student = refused(await wsConnect(gw.url, '/chat/admin/live', { authorization: `Bearer ${tokenFor(key)}` }));
    expect(student.status).toBe(403);
    expect(student.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(chat.upgrades.length).toBe(before);
    const admin = opened(await wsConnect(gw.url, '/chat/admin/live', { authorization: `Bearer ${tokenFor(key, userClaims({ roles: ['ADMIN'] }))}` }));
    admin.close();
    expect(chat.upgrades.length).toBe(before + 1);
  });

  it("relays the upstream's refusal of a handshake with its body intact", async () => {
    const res = refused(await wsConnect(gw.url, '/chat/ws/refuse', { authorization: `Bearer ${tokenFor(key)}` }));
    expect(res.status).toBe(401);
    expect(res.headers['x-refused-by']).toBe('upstream');
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.body).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('answers 404 to an upgrade on a path no service owns', async () => {
    for (const path of ['/nowhere/ws', '/internal/ws']) {
      const res = await rawRequest(gw.url, path, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
      expect(res.status).toBe(404);
    }
  });

  it('refuses a browser origin that is not allowed, and accepts an allowed one', async () => {
    const before = chat.upgrades.length;
    const evil = refused(await wsConnect(gw.url, '/chat/ws', { origin: 'https://evil.test' }));
    expect(evil.status).toBe(403);
    expect(evil.body).toMatchObject({ code: 'FORBIDDEN' });
    expect(chat.upgrades.length).toBe(before);
    const socket = opened(await wsConnect(gw.url, '/chat/ws', { origin: ORIGIN }));
    socket.close();
    expect(chat.upgrades.length).toBe(before + 1);
    // A page the gateway serves itself (the web app) connects from the gateway's own origin.
    const own = opened(await wsConnect(gw.url, '/chat/ws', { origin: gw.url }));
    own.close();
    expect(chat.upgrades.length).toBe(before + 2);
    const otherPort = refused(await wsConnect(gw.url, '/chat/ws', { origin: 'http://127.0.0.1:1' }));
    expect(otherPort.status).toBe(403);
  });

  it('closes the upstream socket when the client closes, and the client socket when the upstream closes', async () => {
    const client = opened(await wsConnect(gw.url, '/chat/ws'));
    const upstream = chat.sockets.at(-1)!;
    const upstreamClosed = once(upstream, 'close');
    client.close(1000, 'bye');
    const [code] = (await upstreamClosed) as [number];
    expect(code).toBe(1000);

    const second = opened(await wsConnect(gw.url, '/chat/ws'));
    const clientClosed = once(second, 'close');
    chat.sockets.at(-1)!.close(4401, 'token expired');
    const [code2, reason] = (await clientClosed) as [number, Buffer];
    expect(code2).toBe(4401);
    expect(reason.toString()).toBe('token expired');

    // An abrupt end (no close frame) of either side also ends the other.
    const third = opened(await wsConnect(gw.url, '/chat/ws'));
    const thirdClosed = once(third, 'close');
    chat.sockets.at(-1)!.terminate();
    await thirdClosed;
    const fourth = opened(await wsConnect(gw.url, '/chat/ws'));
    const fourthUpstreamClosed = once(chat.sockets.at(-1)!, 'close');
    fourth.terminate();
    await fourthUpstreamClosed;
  });

  it('answers 503 to an upgrade for a service with no healthy instance', async () => {
    const res = refused(await wsConnect(gw.url, '/notifications/ws'));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });
});

describe('WebSocket proxy failures and shutdown', () => {
  let key: TestKey;
  let chat: WsUpstream;
  let silent: Server;
  let silentUrl: string;
  let gw: TestGateway;

  beforeAll(async () => {
    key = await makeKey();
    chat = await startWsUpstream();
    // Accepts the connection and the handshake request, never answers it.
    silent = createServer();
    silent.on('upgrade', (_req: IncomingMessage, socket: Duplex) => socket.on('end', () => socket.destroy()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    gw = await startGateway({ key, config: { upstreams: { chat: [chat.url], forum: [silentUrl], notifications: ['http://127.0.0.1:1'] }, proxy: { timeoutMs: 300, maxAttempts: 1 } } });
  });

  afterAll(async () => {
    await gw.close();
    await chat.close();
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${tokenFor(key)}` });

  it('answers 504 when the upstream does not answer the handshake in time', async () => {
    const res = refused(await wsConnect(gw.url, '/forum/live', bearer()));
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    const res = refused(await wsConnect(gw.url, '/notifications/ws'));
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'BAD_GATEWAY' });
  });

  it('does not count clients that drop their handshake as upstream failures (no ejection by clients)', async () => {
    const own = await startGateway({ key, config: { upstreams: { forum: [silentUrl] }, proxy: { timeoutMs: 5_000, maxAttempts: 1 }, ejection: { consecutiveFailures: 2, cooloffMs: 60_000 } } });
    try {
      const { port } = new URL(own.url);
      // As many dropped handshakes as would eject the instance if they counted.
      for (let i = 0; i < 2; i++) {
        const reached = once(silent, 'upgrade');
        const client = connect(Number(port), '127.0.0.1');
        client.write(`GET /forum/live HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nauthorization: Bearer ${tokenFor(key)}\r\n\r\n`);
        await reached;
        // A reset, as a client that crashes or a tab that closes sends: the gateway sees the socket close.
        client.resetAndDestroy();
        // Lets the gateway see the close and abandon the upstream handshake.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [instance] = own.app.gateway.pools.get('forum')!.instances;
      expect(instance).toMatchObject({ consecutiveFailures: 0, ejectedUntil: 0 });
    } finally {
      await own.close();
    }
  });

  const handshake = (path: string): string =>
    `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nauthorization: Bearer ${tokenFor(key)}\r\n\r\n`;

  it('regression: notices a client that half-closes (FIN) during the handshake at once, not at the handshake timeout', { timeout: 4_000 }, async () => {
    const own = await startGateway({ key, config: { upstreams: { forum: [silentUrl] }, proxy: { timeoutMs: 30_000, maxAttempts: 1 } } });
    try {
      const reached = once(silent, 'upgrade') as Promise<[IncomingMessage, Duplex]>;
      const client = connect(Number(new URL(own.url).port), '127.0.0.1');
      const received: Buffer[] = [];
      client.on('data', (c: Buffer) => received.push(c));
      client.write(handshake('/forum/live'));
      const [, upstreamSide] = await reached;
      const upstreamClosed = once(upstreamSide, 'close');
      const clientClosed = once(client, 'close');
      client.end();
      // Both the upstream handshake and the client's socket go long before the 30 s timeout.
      await upstreamClosed;
      await clientClosed;
      expect(Buffer.concat(received).toString()).toBe('');
      expect(own.app.gateway.pools.get('forum')!.instances[0]).toMatchObject({ consecutiveFailures: 0 });
    } finally {
      await own.close();
    }
  });

  it('regression: closes a refused handshake whose upstream body stalls, after the idle timeout', { timeout: 4_000 }, async () => {
    // Refuses every handshake with a body it never finishes.
    const stalling = createServer();
    // Upgraded sockets leave the server's connection list: closed here by hand.
    const refusing: Duplex[] = [];
    stalling.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
      refusing.push(socket);
      socket.on('error', () => undefined);
      socket.write('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\npartial');
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    // It never answers its API document either: the gateway gives up on that quickly.
    const docs = { title: 'RealChat API', version: '1', refreshMs: 60_000, retryMs: 60_000, timeoutMs: 100 };
    const own = await startGateway({ key, config: { upstreams: { forum: [`http://127.0.0.1:${(stalling.address() as AddressInfo).port}`] }, proxy: { timeoutMs: 200, maxAttempts: 1 }, docs } });
    try {
      const client = connect(Number(new URL(own.url).port), '127.0.0.1');
      const received: Buffer[] = [];
      client.on('data', (c: Buffer) => received.push(c));
      client.on('error', () => undefined);
      const closed = once(client, 'close');
      client.write(handshake('/forum/live'));
      await closed;
      const text = Buffer.concat(received).toString();
      expect(text).toMatch(/^HTTP\/1\.1 403 /);
      expect(text).toContain('partial');
    } finally {
      await own.close();
      for (const socket of refusing) socket.destroy();
      // The gateway's request for its API document is still open there.
      stalling.closeAllConnections();
      await new Promise<void>((resolve) => stalling.close(() => resolve()));
    }
  });

  it('refuses upgrades that are not WebSocket handshakes instead of forwarding them mangled', async () => {
    const auth = await startUpstream('auth');
    const own = await startGateway({ key, config: { upstreams: { auth: [auth.url] }, proxy: { timeoutMs: 300, maxAttempts: 1 } } });
    try {
      const { port } = new URL(own.url);
      const heads = [
        'POST /auth/login HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
        'GET /auth/me HTTP/1.1\r\nhost: x\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
      ];
      for (const head of heads) {
        const client = connect(Number(port), '127.0.0.1');
        client.write(head);
        const chunks: Buffer[] = [];
        client.on('data', (c: Buffer) => chunks.push(c));
        await once(client, 'close');
        expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 400 /);
      }
      // (The gateway's own docs fetch is the only request the upstream may see.)
      expect(auth.seen.filter((r) => r.url !== '/auth/openapi.json')).toEqual([]);
      expect(own.app.gateway.pools.get('auth')!.instances[0]).toMatchObject({ consecutiveFailures: 0 });
    } finally {
      await own.close();
      await auth.close();
    }
  });

  it('forwards the client address, protocol and host a trusted proxy reported, as for HTTP', async () => {
    const own = await startGateway({ key, config: { upstreams: { chat: [chat.url] }, trustProxy: ['127.0.0.1/32'] } });
    try {
      const before = chat.upgrades.length;
      const socket = opened(await wsConnect(own.url, '/chat/ws', { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.realchat.test' }));
      socket.close();
      const seen = chat.upgrades[before]!;
      expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
      expect(seen.headers['x-forwarded-proto']).toBe('https');
      expect(seen.headers['x-forwarded-host']).toBe('app.realchat.test');
    } finally {
      await own.close();
    }
  });

  it('closes open tunnels, on both sides, when the gateway shuts down', async () => {
    const own = await startGateway({ key, config: { upstreams: { chat: [chat.url] } } });
    const client = opened(await wsConnect(own.url, '/chat/ws'));
    const upstream = chat.sockets.at(-1)!;
    const closed = Promise.all([once(client, 'close'), once(upstream, 'close')]);
    await own.close();
    await closed;
    expect(client.readyState).toBe(client.CLOSED);
  });
});

describe('WebSocket open-socket cap per client address', () => {
  let key: TestKey;
  let chat: WsUpstream;
  let store: KeyValueStore;
  let gw: TestGateway;

  beforeAll(async () => {
    key = await makeKey();
    chat = await startWsUpstream();
    store = makeStore('memory');
    gw = await startGateway({ key, store, config: { upstreams: { chat: [chat.url] }, maxSocketsPerIp: 2, rateLimit: { ip: false, user: false } } });
  });

  afterAll(async () => {
    await gw.close();
    await chat.close();
    await store.close();
  });

  it('refuses the socket over the cap with 429 until one of the open ones closes', async () => {
    const first = opened(await wsConnect(gw.url, '/chat/ws'));
    const second = opened(await wsConnect(gw.url, '/chat/ws'));
    const upgrades = chat.upgrades.length;
    const third = refused(await wsConnect(gw.url, '/chat/ws'));
    expect([third.status, third.body['code'], third.headers['retry-after']]).toEqual([429, 'RATE_LIMITED', '1']);
    // Refused at the edge: the upstream never saw it.
    expect(chat.upgrades.length).toBe(upgrades);
    const closed = once(first, 'close');
    first.close();
    await closed;
    // The slot frees when the TCP connection ends, shortly after the close handshake.
    let next: WsOutcome = await wsConnect(gw.url, '/chat/ws');
    for (let i = 0; i < 50 && !('socket' in next); i++) {
      await new Promise((r) => setTimeout(r, 20));
      next = await wsConnect(gw.url, '/chat/ws');
    }
    const reopened = opened(next);
    reopened.close();
    second.close();
  });
});
