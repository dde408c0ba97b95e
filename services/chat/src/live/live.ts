import { Counter, Gauge, type Registry } from 'prom-client';
import type { UserPrincipal } from '@realchat/auth-verify';
import type { TimerHandle } from '@realchat/clock';
import type { WebSocketEndpoint } from '@realchat/runtime';
import type { ChatContext } from '../context.js';
import type { Messaging, People } from '../domain/types.js';
import { Hub } from './hub.js';
import { Presence } from './presence.js';
import { ChatSocket, CloseCode, type SocketHost } from './socket.js';

/** Ping interval; a socket that has not answered the previous ping by the next is dropped. */
const PING_INTERVAL_MS = 30_000;
/** How long `stop()` waits for clients to answer the closing handshake before cutting them. */
const CLOSE_GRACE_MS = 2_000;
const MAX_PAYLOAD = 64 * 1024;

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
  /** Exposes the sockets and the live channel on an app's Prometheus registry. */
  registerMetrics(registry: Registry): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createChatSockets(context: ChatContext, deps: { readonly hub: HubPart; readonly messaging: Messaging; readonly people: People }): SocketsPart {
  const { clock, logger, authentication } = context;
  const hub = deps.hub.hub;
  const presence = new Presence({ store: context.store, clock, hub, channel: context.live, people: deps.people, logger, instanceId: hub.instanceId, ttlMs: context.env.CHAT_PRESENCE_TTL_MS });
  const sockets = new Set<ChatSocket>();
  const bySession = new Map<string, Set<ChatSocket>>();
  let stopping = false;
  let pinger: TimerHandle | undefined;
  let stopRevocations: (() => void) | undefined;

  const index = (socket: ChatSocket, principal: UserPrincipal): void => {
    let set = bySession.get(principal.sessionId);
    if (set === undefined) bySession.set(principal.sessionId, (set = new Set()));
    set.add(socket);
  };
  const unindex = (socket: ChatSocket, principal: UserPrincipal): void => {
    const set = bySession.get(principal.sessionId);
    set?.delete(socket);
    if (set?.size === 0) bySession.delete(principal.sessionId);
  };

  const host: SocketHost = {
    context,
    messaging: deps.messaging,
    people: deps.people,
    hub,
    presence,
    authenticated(socket, previous) {
      if (previous === undefined) hub.attach(socket);
      else unindex(socket, previous);
      index(socket, socket.principal!);
    },
    closed(socket, principal) {
      sockets.delete(socket);
      if (principal === undefined) return;
      hub.detach(socket);
      unindex(socket, principal);
      void presence.disconnected(principal.userId);
    },
  };

  return {
    registerMetrics(registry) {
      const registers = [registry];
      new Gauge({
        name: 'chat_sockets_open',
        help: 'Open /chat/ws sockets on this instance (authenticated or not yet)',
        registers,
        collect() {
          this.set(sockets.size);
        },
      });
      const counter = (name: string, help: string, value: () => number): void =>
        void new Counter({
          name,
          help,
          registers,
          collect() {
            this.reset();
            this.inc(value());
          },
        });
      counter('chat_live_published_total', 'Live frames published for the other chat instances', () => context.live.stats().published);
      counter('chat_live_dropped_total', 'Live frames dropped because the live channel (NATS) was down; their recipients catch up by resume', () => context.live.stats().dropped);
    },
    endpoint: {
      path: '/chat/ws',
      maxPayload: MAX_PAYLOAD,
      onConnection(ws) {
        if (stopping) {
          ws.close(CloseCode.RESTARTING, 'server shutting down');
          return;
        }
        sockets.add(new ChatSocket(ws, host));
      },
    },
    async start() {
      await presence.start();
      // Revocations arrive over the bus within moments: the socket closes at once.
      stopRevocations = authentication.onRevoked((revoked) => {
        if (revoked.kind === 'session') {
          for (const socket of bySession.get(revoked.sessionId) ?? []) socket.close(CloseCode.UNAUTHENTICATED, 'session revoked');
        } else if (revoked.kind === 'token') {
          for (const socket of sockets) if (socket.principal?.tokenId === revoked.tokenId) socket.close(CloseCode.UNAUTHENTICATED, 'token revoked');
        }
      });
      pinger = clock.setInterval(
        () => {
          for (const socket of sockets) socket.heartbeat();
        },
        PING_INTERVAL_MS,
        { unref: true },
      );
    },
    async stop() {
      stopping = true;
      pinger?.clear();
      stopRevocations?.();
      const open = [...sockets];
      for (const socket of open) socket.close(CloseCode.RESTARTING, 'server shutting down');
      let grace: TimerHandle | undefined;
      await Promise.race([Promise.all(open.map((socket) => socket.done)), new Promise<void>((resolve) => (grace = clock.setTimeout(resolve, CLOSE_GRACE_MS, { unref: true })))]);
      grace?.clear();
      for (const socket of sockets) socket.terminate();
      await presence.stop();
    },
  };
}
