import { randomUUID, sign as cryptoSign, KeyObject } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { createAuthentication, createVerifier, type JsonWebKey, type Verifier } from '@realchat/auth-verify';
import type { EventBus } from '@realchat/bus';
import type { Clock } from '@realchat/clock';
import { SERVICE_MANIFEST_MEMBER, type AccessRule, type App } from '@realchat/http';
import { createInProcessBus } from '@realchat/bus';
import { systemClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { createServiceHost, RuntimeEnvSchema, type AnyServiceDefinition, type ServiceHost } from '@realchat/runtime';
import { silentLogger } from '@realchat/logging';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { WebSocket, WebSocketServer } from 'ws';
import { buildGateway, gatewayConfig, GATEWAY_RULES, type GatewayConfig } from '../src/index.js';

/**
 * The gateway's rules plus public paths of the services these tests stand in for (the real
 * services declare theirs; the fake upstreams here declare none).
 */
export const TEST_RULES: readonly AccessRule[] = [
  ...GATEWAY_RULES,
  { path: '/auth/register', auth: 'none' },
  { path: '/auth/login', auth: 'none' },
  { path: '/auth/refresh', auth: 'none' },
  { path: '/auth/logout', auth: 'none' },
  { path: '/oauth/*', auth: 'none' },
  { path: '/.well-known/*', auth: 'none' },
  { path: '/chat/ws', auth: 'none' },
  { path: '/notifications/ws', auth: 'none' },
];

export const ISSUER = 'https://auth.realchat.test';
export const AUDIENCE = 'realchat';

export interface TestKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JsonWebKey;
}

export async function makeKey(): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  return { kid, privateKey, jwk: { ...exported, kty: exported.kty ?? 'RSA', kid, alg: 'RS256', use: 'sig' } };
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Signs any header and payload (also ones a JWT library would refuse to produce). */
export function signRaw(key: TestKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), KeyObject.from(key.privateKey)).toString('base64url')}`;
}

export function userClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: randomUUID(), sid: randomUUID(), roles: ['STUDENT'], iat: now, exp: now + 900, jti: randomUUID(), ...overrides };
}

export function tokenFor(key: TestKey, claims: Record<string, unknown> = userClaims(), header: Record<string, unknown> = {}): string {
  return signRaw(key, { alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...header }, claims);
}

/** Services without a database hosted as embedded mode hosts them, authenticating with the test key. The caller stops it. */
export async function hostServices(key: TestKey, definitions: readonly AnyServiceDefinition[]): Promise<ServiceHost> {
  return createServiceHost({
    definitions,
    engines: { bus: createInProcessBus(), store: createMemoryStore(), clock: systemClock, logger: silentLogger, embeddedDataDir: undefined },
    env: loadConfig(RuntimeEnvSchema, {}),
    authentication: createAuthentication({ issuer: ISSUER, audience: AUDIENCE, keys: { local: () => ({ keys: [key.jwk] }) }, accessTokenTtlMs: 900_000 }),
  });
}

/** What a test upstream saw of one request. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface TestUpstream {
  readonly name: string;
  readonly url: string;
  readonly server: Server;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/**
 * A tiny upstream: answers `/healthz`, echoes every other request as JSON `{ upstream, method,
 * url, headers, body }`; `/…/slow` waits 1 s, `/…/boom` answers 500.
 */
export async function startUpstream(name: string, port = 0): Promise<TestUpstream> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      const documentOf = /^\/([a-z][a-z0-9-]*)\/openapi\.json$/.exec(req.url ?? '')?.[1];
      if (documentOf !== undefined) {
        // The manifest every service publishes, for whichever service this stands in: its prefix, and no rules of its own.
        const manifest = { name: documentOf, prefixes: documentOf === 'auth' ? ['/auth', '/oauth', '/.well-known'] : [`/${documentOf}`], access: [], websockets: [] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ openapi: '3.1.0', info: { title: name, version: '1' }, paths: {}, [SERVICE_MANIFEST_MEMBER]: manifest }));
        return;
      }
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const reply = (): void => {
        if (req.url?.endsWith('/boom')) {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name, connection: 'keep-alive', 'x-frame-options': 'SAMEORIGIN', vary: 'Accept-Encoding' });
        res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, body }));
      };
      if (req.url?.endsWith('/slow')) setTimeout(reply, 1000);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${address.port}`,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestGateway {
  readonly app: App;
  readonly url: string;
  readonly verifier: Verifier;
  readonly store: KeyValueStore;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  readonly key: TestKey;
  readonly config?: Partial<GatewayConfig>;
  readonly store?: KeyValueStore;
  readonly verifier?: Verifier;
  /** Where revocations arrive (the gateway's verifier then honours `session.revoked` and `client.revoked`). */
  readonly bus?: EventBus;
  readonly host?: ServiceHost;
  /** Decides rate-limit windows and pool cool-offs; tests use a ManualClock for stable windows. */
  readonly clock?: Clock;
}

/** A gateway listening on a random port, verifying with the test key, health checks effectively off. */
export async function startGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const store = options.store ?? createMemoryStore({ prefix: `test:${randomUUID()}:` });
  const authentication =
    options.bus === undefined
      ? undefined
      : createAuthentication({ issuer: ISSUER, audience: AUDIENCE, keys: { local: () => ({ keys: [options.key.jwk] }) }, bus: options.bus, accessTokenTtlMs: 900_000 });
  await authentication?.start();
  const verifier = options.verifier ?? authentication?.verifier ?? createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [options.key.jwk] } });
  const config = gatewayConfig({
    access: TEST_RULES,
    healthCheck: { path: '/healthz', intervalMs: 60_000, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1 },
    ...options.config,
  });
  const app = await buildGateway({
    config,
    logger: silentLogger,
    verifier,
    store,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  // The upstreams' manifests, as the background work fetches them soon after start.
  await app.gateway.refreshDocs();
  const address = app.server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    verifier,
    store,
    close: async () => {
      await app.close();
      await authentication?.close();
      if (options.store === undefined) await store.close();
    },
  };
}

/** A request exactly as written (fetch normalises paths and refuses some headers). */
export function rawRequest(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The two kinds of ephemeral store the gateway runs on: memory (embedded) and Redis (distributed). */
export type StoreKind = 'memory' | 'redis';
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'redis'];
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * A store of `kind` under `prefix` (a fresh random one by default). Two Redis stores made with the
 * same prefix share their keys, as two gateway processes would; two memory stores never do.
 */
export function makeStore(kind: StoreKind, options: { prefix?: string; clock?: Clock } = {}): KeyValueStore {
  const prefix = options.prefix ?? `test:gateway:${randomUUID()}:`;
  return kind === 'redis' ? createRedisStore({ url: REDIS_URL, prefix }) : createMemoryStore({ prefix, ...(options.clock === undefined ? {} : { clock: options.clock }) });
}

/** What a WebSocket upstream saw of one handshake. */
export interface SeenUpgrade {
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

export interface WsUpstream {
  readonly url: string;
  readonly upgrades: SeenUpgrade[];
  /** The upstream side of every accepted socket, in order. */
  readonly sockets: WebSocket[];
  close(): Promise<void>;
}

/**
 * A WebSocket echo upstream (text stays text, binary stays binary) on a server that also answers
 * `/healthz`; a handshake on a path ending in `/refuse` gets a chunked 401.
 */
export async function startWsUpstream(): Promise<WsUpstream> {
  const upgrades: SeenUpgrade[] = [];
  const sockets: WebSocket[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (req.url?.endsWith('/refuse') === true) {
      // A service refusing the handshake, its body chunked.
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nx-refused-by: upstream\r\n\r\n9\r\n{"code":"\r\nf\r\nUNAUTHENTICATED\r\n2\r\n"}\r\n0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    sockets.push(socket);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    upgrades,
    sockets,
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The outcome of a WebSocket handshake through the gateway: an open socket or the refusal. */
export type WsOutcome = { readonly socket: WebSocket } | { readonly status: number; readonly headers: IncomingMessage['headers']; readonly body: string };

export function wsConnect(base: string, path: string, headers: Record<string, string> = {}): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, { headers });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    socket.once('error', reject);
  });
}

/** How a POST of a large body ended: the answer, or the connection error that cut it. */
export type PostOutcome = { readonly status: number; readonly type: string | undefined; readonly code: string | undefined } | { readonly error: string };

/**
 * POSTs `size` bytes of JSON over a raw socket, declared by Content-Length or chunked, writing the
 * whole body whatever the server answers meanwhile (as clients do). A connection error before the
 * body is written and the answer read is the outcome: the upload broke.
 */
export function postLarge(base: string, path: string, size: number, chunked: boolean, headers: Record<string, string> = {}): Promise<PostOutcome> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let written = false;
    let answer: PostOutcome | undefined;
    const settle = (outcome: PostOutcome): void => {
      resolve(outcome);
      socket.destroy();
    };
    socket.on('error', (err: NodeJS.ErrnoException) => settle({ error: err.code ?? err.message }));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1 || answer !== undefined) return;
      const head = received.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      const body = received.subarray(end + 4, end + 4 + length).toString();
      answer = { status: Number(head.split(' ')[1]), type: /\r\ncontent-type: *([^;\r]+)/i.exec(head)?.[1], code: body.startsWith('{') ? (JSON.parse(body) as { code?: string }).code : undefined };
      if (written) settle(answer);
    });
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${size}`;
    socket.write(`POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n${framing}\r\n${extra}\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const write = (): void => {
      while (sent < size && !socket.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part);
        if (!ok) {
          socket.once('drain', write);
          return;
        }
      }
      if (chunked) socket.write('0\r\n\r\n');
      written = true;
      if (answer !== undefined) settle(answer);
    };
    write();
  });
}
