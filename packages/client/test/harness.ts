import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { RealChat, type RealChatOptions, type WebSocketConstructor } from '../src/index.js';
import { buildEmbeddedSystem, type EmbeddedSystem } from '../scripts/system.js';

/** The embedded system listening on a free port: the gateway hosting auth and chat. */
export interface TestSystem extends EmbeddedSystem {
  readonly base: string;
}

export async function startSystem(env?: Readonly<Record<string, string>>): Promise<TestSystem> {
  const system = await buildEmbeddedSystem(env === undefined ? {} : { env });
  await system.gateway.listen({ port: 0, host: '127.0.0.1' });
  await system.host.start();
  return { ...system, base: `http://127.0.0.1:${(system.gateway.server.address() as AddressInfo).port}` };
}

export const PASSWORD = 'correct horse battery';
export const uniqueEmail = (): string => `u${randomBytes(6).toString('hex')}@example.com`;

/** What crossed the wire to /auth/refresh. */
export interface RefreshLog {
  /** The refresh tokens presented, in order (from the body or the cookie). */
  readonly presented: string[];
}

/** `fetch` recording each refresh token presented to /auth/refresh. */
export function recordingFetch(log: RefreshLog, inner: (request: Request) => Promise<Response> = (r) => fetch(r)): (request: Request) => Promise<Response> {
  return async (request) => {
    if (new URL(request.url).pathname === '/auth/refresh') {
      const body = (await request.clone().text()) || '{}';
      const fromBody = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
      const fromCookie = /realchat_rt=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      log.presented.push(fromBody ?? fromCookie ?? '(none)');
    }
    return inner(request);
  };
}

/** A browser's cookie jar for the auth cookies (Node's fetch keeps none): shared by the "tabs" of one browser. */
export function cookieJarFetch(inner: (request: Request) => Promise<Response> = (r) => fetch(r)): (request: Request) => Promise<Response> {
  const jar = new Map<string, string>();
  return async (request) => {
    const headers = new Headers(request.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await inner(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
}

/** A client of `system` (Node: `ws` as its WebSocket), driven by the system's clock unless told otherwise. */
export function client(system: TestSystem, options: RealChatOptions = {}): RealChat {
  return new RealChat({ baseUrl: system.base, clock: system.clock, WebSocket: WebSocket as unknown as WebSocketConstructor, transport: 'body', ...options });
}

/** Registers a user and signs `rc` in as them; returns the user's id and email. */
export async function signUp(rc: RealChat, displayName = 'Ada'): Promise<{ id: string; email: string }> {
  const email = uniqueEmail();
  const user = await rc.register({ email, password: PASSWORD, displayName });
  await rc.login({ email, password: PASSWORD });
  return { id: user.id, email };
}

/** Waits (real time, bounded) until `predicate` holds. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The server side of every WebSocket upgrade the gateway accepts from now on: a test cuts them for real. */
export function liveConnections(system: TestSystem): Set<Duplex> {
  const sockets = new Set<Duplex>();
  system.gateway.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Makes `a` and `b` friends and a group of the two (created by `a`); returns its id. */
export async function groupOfTwo(a: RealChat, b: RealChat, bId: string): Promise<string> {
  const request = await a.api.POST('/chat/friends/requests', { body: { userId: bId } });
  if (request.data === undefined || !('id' in request.data)) throw new Error(`friend request: ${request.response.status}`);
  const accepted = await b.api.POST('/chat/friends/requests/{id}/accept', { params: { path: { id: request.data.id } } });
  if (!accepted.response.ok) throw new Error(`accept: ${accepted.response.status}`);
  const group = await a.api.POST('/chat/conversations', { body: { type: 'group', name: 'Test', memberIds: [bId] } });
  if (group.data === undefined) throw new Error(`group: ${group.response.status}`);
  return group.data.id;
}
