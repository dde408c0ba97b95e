import { Writable } from 'node:stream';
import { call, connect as connectTo, eventually, startTestSystem, type TestSocket, type TestSystem, type TestUser, type Variant } from '@realchat/testkit';
import { createLogger, type Logger } from '@realchat/logging';
import type { ServiceHost } from '@realchat/runtime';
import { notificationsService, type Notification, type NotificationsModule } from '../src/index.js';

export { call, eventually, login, openSocket, PASSWORD, signUp, uniqueEmail, variants, type Frame, type TestSocket, type TestUser, type Variant } from '@realchat/testkit';

export interface NotificationsHarness extends Omit<TestSystem, 'addInstance'> {
  /** The gateway's `/notifications/ws`. */
  readonly wsUrl: string;
  readonly notifications: NotificationsModule;
  /** Every line the services logged (JSON), for the assertions on log lines. */
  readonly logs: Array<Record<string, unknown>>;
  /**
   * Another notification instance (notifications alone, behind its own gateway) on the same
   * database, bus and store: a second process of distributed mode. Closed by `close()` at the latest.
   */
  addInstance(): Promise<NotificationsInstance>;
}

export interface NotificationsInstance {
  readonly wsUrl: string;
  readonly host: ServiceHost;
  readonly notifications: NotificationsModule;
  close(): Promise<void>;
}

/** A logger keeping its JSON lines in `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return createLogger({ level: 'warn', name: 'notifications-test' }, sink);
}

/** Auth and notifications hosted in one gateway process, as `npm start` runs them, on the engines of `variant`. */
export async function startNotifications(variant: Variant, options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<NotificationsHarness> {
  const logs: Array<Record<string, unknown>> = [];
  const system = await startTestSystem(variant, { name: 'notif', services: [notificationsService], ...options, logger: capturingLogger(logs), retryDelayMs: 50 });
  return {
    ...system,
    wsUrl: `ws://127.0.0.1:${system.port}/notifications/ws`,
    notifications: system.module<NotificationsModule>('notifications'),
    logs,
    async addInstance() {
      const instance = await system.addInstance(notificationsService);
      return { wsUrl: `ws://127.0.0.1:${instance.port}/notifications/ws`, host: instance.host, notifications: instance.module<NotificationsModule>('notifications'), close: () => instance.close() };
    },
  };
}

export interface InboxPage {
  readonly items: Notification[];
  readonly nextCursor: string | null;
  readonly unreadCount: number;
}

/** The user's whole inbox, newest first. */
export async function inboxOf(h: Pick<NotificationsHarness, 'base'>, user: Pick<TestUser, 'token'>): Promise<InboxPage> {
  const res = await call<InboxPage>(h, user, 'GET', '/notifications?limit=100');
  if (res.status !== 200) throw new Error(`inbox: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Waits until `user`'s inbox holds `n` notifications, and returns it. */
export async function inboxWith(h: Pick<NotificationsHarness, 'base'>, user: Pick<TestUser, 'token'>, n: number): Promise<InboxPage> {
  let page: InboxPage | undefined;
  await eventually(async () => (page = await inboxOf(h, user)).items.length >= n);
  return page!;
}

/** A socket that has sent `auth` and received `ready` and the first `unread`. */
export async function connect(url: string, user: Pick<TestUser, 'token'>): Promise<TestSocket> {
  const socket = await connectTo(url, user);
  await socket.next((f) => f.type === 'unread');
  return socket;
}
