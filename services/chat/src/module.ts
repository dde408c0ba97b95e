import { fileURLToPath } from 'node:url';
import { authGuard } from '@realchat/auth-verify';
import type { App } from '@realchat/http';
import { profilesMigrations } from '@realchat/profiles';
import { defineService, type ServiceInstance } from '@realchat/runtime';
import { ChatEnvSchema } from './config.js';
import { CHAT_SCHEMA } from './context.js';
import type { Messaging, People } from './domain/types.js';
import { ChatErrors } from './errors.js';
import { CHAT_EVENTS } from './events.js';
import { createChatSockets, createLiveHub } from './live/live.js';
import { createMessaging } from './messaging/messaging.js';
import { createPeople } from './people/people.js';

/** The chat service's running instance: what a host needs, plus the seams its tests use. */
export interface ChatModule extends ServiceInstance {
  readonly people: People;
  readonly messaging: Messaging;
}

/** Friends, conversations and real-time messaging (REST under /chat, WebSocket /chat/ws). */
export const chatService = defineService({
  name: 'chat',
  prefixes: ['/chat'],
  env: ChatEnvSchema,
  database: { schema: CHAT_SCHEMA, migrations: [{ name: 'chat', dir: fileURLToPath(new URL('../migrations', import.meta.url)) }, profilesMigrations] },
  errors: ChatErrors,
  publishes: [...CHAT_EVENTS],
  async create(context): Promise<ChatModule> {
    // The hub first: messaging publishes into it, the sockets read from it.
    const hub = createLiveHub(context);
    const people = createPeople(context);
    const messaging = createMessaging(context, { people: people.people, hub: hub.hub });
    const sockets = createChatSockets(context, { hub, messaging: messaging.messaging, people: people.people });
    people.watch(sockets.friendships);
    return {
      people: people.people,
      messaging: messaging.messaging,
      consumers: people.consumers,
      websockets: [sockets.endpoint],
      async register(app) {
        sockets.registerMetrics(app.metrics);
        // In its own scope: the guard must not reach the routes of the host or of other services.
        await app.register(async (scope) => {
          const child = scope as unknown as App;
          await child.register(authGuard, { verifier: context.authentication.verifier });
          await people.register(child);
          await messaging.register(child);
        });
      },
      async start() {
        await hub.start();
        await messaging.start();
        await sockets.start();
      },
      async stop() {
        await sockets.stop();
        await messaging.stop();
        await people.stop();
        await hub.stop();
      },
    };
  },
});
