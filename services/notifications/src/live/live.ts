import type { Registry } from 'prom-client';
import { createLiveEndpoint, LiveHub } from '@realchat/live-socket';
import type { WebSocketEndpoint } from '@realchat/runtime';
import type { NotificationsContext } from '../context.js';
import type { LiveFrame } from '../domain/types.js';
import type { Inbox } from '../inbox/inbox.service.js';
import { Online } from './online.js';
import { NotificationSocket } from './socket.js';

/** Fan-out between instances (created first: the inbox publishes into it). */
export function createHub(context: NotificationsContext): LiveHub<LiveFrame> {
  return new LiveHub<LiveFrame>(context.live, context.logger, 'notifications.frames');
}

/** The `/notifications/ws` endpoint and who is online. */
export interface LivePart {
  readonly endpoint: WebSocketEndpoint;
  readonly online: Online;
  registerMetrics(registry: Registry): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLive(context: NotificationsContext, deps: { readonly hub: LiveHub<LiveFrame>; readonly inbox: Inbox }): LivePart {
  const { clock, logger, authentication, env } = context;
  const { hub, inbox } = deps;
  const online = new Online({ store: context.store, clock, channel: context.live, logger, instanceId: hub.instanceId, ttlMs: env.NOTIFICATIONS_ONLINE_TTL_MS });
  const live = createLiveEndpoint({
    path: '/notifications/ws',
    clock,
    authentication,
    gauge: { name: 'notifications_sockets_open', help: 'Open /notifications/ws sockets on this instance (authenticated or not yet)' },
    open: (ws, registry, transport) =>
      new NotificationSocket(ws, {
        context,
        inbox,
        registry,
        transport,
        authenticated(socket, previous) {
          if (previous !== undefined) return;
          hub.attach(socket);
          void online.connected(socket.userId);
        },
        closed(socket, principal) {
          if (principal === undefined) return;
          hub.detach(socket);
          void online.disconnected(principal.userId);
        },
      }),
  });
  return {
    endpoint: live.endpoint,
    online,
    registerMetrics: (registry) => live.registerMetrics(registry),
    async start() {
      hub.start();
      await online.start();
      live.start();
    },
    async stop() {
      await live.stop();
      await online.stop();
      hub.stop();
    },
  };
}
