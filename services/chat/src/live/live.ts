import { Counter, type Registry } from 'prom-client';
import { createLiveEndpoint } from '@realchat/live-socket';
import type { WebSocketEndpoint } from '@realchat/runtime';
import type { ChatContext } from '../context.js';
import type { FriendshipWatcher, Messaging, People } from '../domain/types.js';
import { Hub } from './hub.js';
import { Presence } from './presence.js';
import { ChatSocket, type SocketHost } from './socket.js';

/** Fan-out between instances (created first: messaging publishes into it). */
export interface HubPart {
  readonly hub: Hub;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The live hub on the context's live channel (NATS core subjects when distributed, in process when embedded). */
export function createLiveHub(context: ChatContext): HubPart {
  const hub = new Hub(context.live, context.logger);
  return {
    hub,
    start: async () => hub.start(),
    stop: async () => hub.stop(),
  };
}

/** The `/chat/ws` endpoint: authentication, frames, presence and typing, backpressure. */
export interface SocketsPart {
  readonly endpoint: WebSocketEndpoint;
  /** Presence following friendships as they start and end. */
  readonly friendships: FriendshipWatcher;
  /** Exposes the sockets and the live channel on an app's Prometheus registry. */
  registerMetrics(registry: Registry): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createChatSockets(context: ChatContext, deps: { readonly hub: HubPart; readonly messaging: Messaging; readonly people: People }): SocketsPart {
  const { clock, logger, authentication } = context;
  const hub = deps.hub.hub;
  const presence = new Presence({ store: context.store, clock, hub, channel: context.live, people: deps.people, logger, instanceId: hub.instanceId, ttlMs: context.env.CHAT_PRESENCE_TTL_MS });
  const host: Omit<SocketHost, 'registry'> = {
    context,
    messaging: deps.messaging,
    people: deps.people,
    hub,
    presence,
    authenticated(socket, previous) {
      if (previous === undefined) hub.attach(socket);
    },
    closed(socket, principal) {
      if (principal === undefined) return;
      hub.detach(socket);
      void presence.disconnected(principal.userId);
    },
  };
  const live = createLiveEndpoint({
    path: '/chat/ws',
    clock,
    authentication,
    gauge: { name: 'chat_sockets_open', help: 'Open /chat/ws sockets on this instance (authenticated or not yet)' },
    open: (ws, registry, transport) => new ChatSocket(ws, { ...host, registry, transport }),
  });

  return {
    endpoint: live.endpoint,
    friendships: {
      befriended: (a, b) => void presence.befriended(a, b),
      parted: (a, b) => presence.parted(a, b),
    },
    registerMetrics(registry) {
      live.registerMetrics(registry);
      const counter = (name: string, help: string, value: () => number): void =>
        void new Counter({
          name,
          help,
          registers: [registry],
          collect() {
            this.reset();
            this.inc(value());
          },
        });
      counter('chat_live_published_total', 'Live frames published for the other chat instances', () => context.live.stats().published);
      counter('chat_live_dropped_total', 'Live frames dropped because the live channel (NATS) was down; their recipients catch up by resume', () => context.live.stats().dropped);
    },
    async start() {
      await presence.start();
      live.start();
    },
    async stop() {
      await live.stop();
      await presence.stop();
    },
  };
}
