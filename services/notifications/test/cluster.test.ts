import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { freePort, gatewayUpstreams, startProcess, type ServiceProcess } from '../../../apps/cli/test/processes.js';
import { call, connect, eventually, login, PASSWORD, uniqueEmail, type Frame, type InboxPage, type TestSocket } from './harness.js';

/**
 * The distributed deployment as separate processes: auth, the notification service and the
 * gateway in front, on PostgreSQL, Redis and NATS JetStream. The notification process is killed
 * and a new one started, as an operator would after a crash.
 */
const id = randomBytes(4).toString('hex');
let db: TestDatabase | undefined;
let sharedEnv: Record<string, string>;
let auth: ServiceProcess;
let gateway: ServiceProcess;
let notifications: ServiceProcess;
const processes: ServiceProcess[] = [];
const sockets: TestSocket[] = [];

async function startNotificationsProcess(): Promise<ServiceProcess> {
  const port = await freePort();
  const proc = await startProcess('services/notifications/dist/server.js', { ...sharedEnv, PORT: String(port), ANNOUNCE_URL: `http://127.0.0.1:${port}`, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`, AUTH_INTERNAL_URL: auth.url });
  processes.push(proc);
  notifications = proc;
  return proc;
}

async function notificationsAvailable(): Promise<number> {
  return (await gatewayUpstreams(gateway.url))['notifications']?.available ?? 0;
}

async function signUp(): Promise<{ id: string; email: string; token: string }> {
  const email = uniqueEmail();
  const reg = await fetch(`${gateway.url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD, displayName: 'Ada' }) });
  expect(reg.status).toBe(201);
  const { id: userId } = (await reg.json()) as { id: string };
  return { id: userId, email, ...(await login({ base: gateway.url }, email, 'first device')) };
}

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  sharedEnv = {
    DATABASE_URL: db.url!,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `t:ncluster:${id}:`,
    NATS_URL: '127.0.0.1:4222',
    NATS_STREAM: `T_NCLUSTER_${id}`,
    NATS_SUBJECT_PREFIX: `t_ncluster_${id}`,
    AUTH_ISSUER: 'http://auth.ncluster.test',
  };
  const authPort = await freePort();
  auth = await startProcess('services/auth/dist/server.js', {
    ...sharedEnv,
    PORT: String(authPort),
    ANNOUNCE_URL: `http://127.0.0.1:${authPort}`,
    AUTH_BCRYPT_COST: '4',
    AUTH_LOGIN_IP_LIMIT: '10000',
    AUTH_REGISTER_IP_LIMIT: '10000',
    AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  });
  processes.push(auth);
  await startNotificationsProcess();
  gateway = await startProcess('services/gateway/dist/server.js', {
    ...sharedEnv,
    AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
    GATEWAY_DISCOVERY_INTERVAL: '200ms',
    GATEWAY_HEALTH_INTERVAL: '1s',
    GATEWAY_RATE_LIMIT_IP: 'off',
    GATEWAY_RATE_LIMIT_USER: 'off',
  });
  processes.push(gateway);
  // Until the gateway knows auth's routes too, /auth/register has no rule there and needs a token.
  await eventually(async () => {
    const services = await gatewayUpstreams(gateway.url);
    return services['notifications']?.available === 1 && services['notifications'].routes && services['auth']?.routes === true;
  }, 15_000);
}, 90_000);

afterAll(async () => {
  for (const socket of sockets) socket.ws.terminate();
  await Promise.allSettled(processes.map((p) => p.kill()));
  await db?.close();
});

describe('notifications cluster: auth, the notification process and the gateway on Postgres, Redis and NATS', { timeout: 30_000 }, () => {
  const wsUrl = (): string => `${gateway.url.replace('http://', 'ws://')}/notifications/ws`;

  it('pushes a sign-in from a new device to the account\'s socket through the gateway', async () => {
    const ada = await signUp();
    const socket = await connect(wsUrl(), ada);
    sockets.push(socket);
    await login({ base: gateway.url }, ada.email, 'second device');
    const frame: Frame = await socket.next((f) => f.type === 'notification.new', 10_000);
    expect(frame['notification']).toMatchObject({ type: 'auth.new_device', actor: null, preview: 'second device', seq: 1 });
    expect(await socket.next((f) => f.type === 'unread')).toEqual({ type: 'unread', count: 1 });
    socket.close();
  });

  it('killed while users sign in: a new process catches up from the durable consumer, each notification once', async () => {
    const ada = await signUp();
    await notifications.kill();
    await eventually(async () => (await notificationsAvailable()) === 0, 15_000);
    for (const device of ['device A', 'device B', 'device C']) await login({ base: gateway.url }, ada.email, device);
    await startNotificationsProcess();
    await eventually(async () => (await notificationsAvailable()) === 1, 15_000);
    let page: InboxPage | undefined;
    await eventually(async () => ((page = (await call<InboxPage>({ base: gateway.url }, ada, 'GET', '/notifications')).body).items?.length ?? 0) >= 3, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    page = (await call<InboxPage>({ base: gateway.url }, ada, 'GET', '/notifications')).body;
    expect(page.items.map((n) => n.preview)).toEqual(['device C', 'device B', 'device A']);
    expect(page.unreadCount).toBe(3);
  });
});
