import { fileURLToPath } from 'node:url';
import { Counter } from 'prom-client';
import { authGuard } from '@realchat/auth-verify';
import type { App } from '@realchat/http';
import { LiveSocketErrors } from '@realchat/live-socket';
import { createProfiles, profilesConsumer, profilesMigrations } from '@realchat/profiles';
import { defineService, type ServiceInstance } from '@realchat/runtime';
import { NotificationsEnvSchema } from './config.js';
import { NOTIFICATIONS_SCHEMA } from './context.js';
import { inboxRoutes } from './inbox/inbox.routes.js';
import { Inbox } from './inbox/inbox.service.js';
import { createHub, createLive } from './live/live.js';
import type { Online } from './live/online.js';
import { sourceConsumer } from './sources/consumer.js';
import { SOURCES } from './sources/index.js';

/** The notification service's running instance: what a host needs, plus the seams its tests use. */
export interface NotificationsModule extends ServiceInstance {
  readonly inbox: Inbox;
  readonly online: Online;
}

/** One inbox for every domain's events (REST under /notifications, WebSocket /notifications/ws). */
export const notificationsService = defineService({
  name: 'notifications',
  prefixes: ['/notifications'],
  env: NotificationsEnvSchema,
  database: { schema: NOTIFICATIONS_SCHEMA, migrations: [{ name: 'notifications', dir: fileURLToPath(new URL('../migrations', import.meta.url)) }, profilesMigrations] },
  errors: LiveSocketErrors,
  async create(context): Promise<NotificationsModule> {
    const hub = createHub(context);
    // Actors' names: the users auth told of, kept in notifications.users.
    const profiles = createProfiles({ schema: NOTIFICATIONS_SCHEMA, db: context.db, identity: context.identity, clock: context.clock });
    const inbox = new Inbox(context, { hub, profiles });
    const live = createLive(context, { hub, inbox });
    return {
      inbox,
      online: live.online,
      consumers: [profilesConsumer(NOTIFICATIONS_SCHEMA), ...SOURCES.map((source) => sourceConsumer(source, { inbox, online: live.online, logger: context.logger }))],
      websockets: [live.endpoint],
      async register(app) {
        live.registerMetrics(app.metrics);
        const counter = (name: string, help: string, value: () => number): void =>
          void new Counter({
            name,
            help,
            registers: [app.metrics],
            collect() {
              this.reset();
              this.inc(value());
            },
          });
        counter('notifications_created_total', 'Notifications written (or collapsed into) by this instance', () => inbox.stats.created);
        counter('notifications_dead_letters_total', 'Events this instance parked in notifications.dead_letters (payload broke its contract)', () => inbox.stats.parked);
        // In its own scope: the guard must not reach the routes of the host or of other services.
        await app.register(async (scope) => {
          const child = scope as unknown as App;
          await child.register(authGuard, { verifier: context.authentication.verifier });
          await inboxRoutes(child, inbox);
        });
      },
      start: () => live.start(),
      stop: () => live.stop(),
    };
  },
});
