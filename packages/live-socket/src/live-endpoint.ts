import { Gauge, type Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import type { Authentication, UserPrincipal } from '@realchat/auth-verify';
import type { Clock, TimerHandle } from '@realchat/clock';
import type { WebSocketEndpoint } from '@realchat/runtime';
import { CloseCode, type LiveSocket, type SocketRegistry, type Transport } from './live-socket.js';

/** Ping interval; a socket that has not answered the previous ping by the next is dropped. */
const PING_INTERVAL_MS = 30_000;
/** How long `stop()` waits for clients to answer the closing handshake before cutting them. */
const CLOSE_GRACE_MS = 2_000;
const MAX_PAYLOAD = 64 * 1024;

export interface LiveEndpointOptions<S extends LiveSocket> {
  /** Exact path, under one of the service's prefixes (`/chat/ws`). */
  readonly path: string;
  /** Largest client frame, in bytes (default 64 KiB). */
  readonly maxPayload?: number;
  readonly clock: Clock;
  readonly authentication: Pick<Authentication, 'onRevoked'>;
  /** The Prometheus gauge of the open sockets (authenticated or not yet). */
  readonly gauge: { readonly name: string; readonly help: string };
  /** Makes the socket of an accepted connection; it must pass `registry` and `transport` to its LiveSocket. */
  open(ws: WebSocket, registry: SocketRegistry, transport: Transport): S;
}

/** A WebSocket endpoint of live sockets: what a host needs, and what the service starts, stops and measures. */
export interface LiveEndpoint<S extends LiveSocket> {
  readonly endpoint: WebSocketEndpoint;
  /** The open sockets of this instance. */
  readonly sockets: ReadonlySet<S>;
  /** Adds the open-socket gauge to an app's Prometheus registry. */
  registerMetrics(registry: Registry): void;
  /** Starts the heartbeat and closes sockets (4401) as their session or token is revoked. */
  start(): void;
  /** Refuses new sockets (1012), closes the open ones (1012) and cuts those that do not answer within a grace. */
  stop(): Promise<void>;
}

/** The endpoint part of a live socket service: the socket set, revocations, heartbeats, shutdown, the gauge. */
export function createLiveEndpoint<S extends LiveSocket>(options: LiveEndpointOptions<S>): LiveEndpoint<S> {
  const { clock } = options;
  const sockets = new Set<S>();
  const bySession = new Map<string, Set<LiveSocket>>();
  let stopping = false;
  let pinger: TimerHandle | undefined;
  let stopRevocations: (() => void) | undefined;

  const index = (socket: LiveSocket, principal: UserPrincipal): void => {
    let set = bySession.get(principal.sessionId);
    if (set === undefined) bySession.set(principal.sessionId, (set = new Set()));
    set.add(socket);
  };
  const unindex = (socket: LiveSocket, principal: UserPrincipal): void => {
    const set = bySession.get(principal.sessionId);
    set?.delete(socket);
    if (set?.size === 0) bySession.delete(principal.sessionId);
  };
  const registry: SocketRegistry = {
    authenticated(socket, previous) {
      if (previous !== undefined) unindex(socket, previous);
      index(socket, socket.principal!);
    },
    closed(socket, principal) {
      sockets.delete(socket as S);
      if (principal !== undefined) unindex(socket, principal);
    },
  };

  return {
    sockets,
    endpoint: {
      path: options.path,
      maxPayload: options.maxPayload ?? MAX_PAYLOAD,
      onConnection(ws, request) {
        if (stopping) {
          ws.close(CloseCode.RESTARTING, 'server shutting down');
          return;
        }
        sockets.add(options.open(ws, registry, request.socket));
      },
    },
    registerMetrics(metrics) {
      new Gauge({
        name: options.gauge.name,
        help: options.gauge.help,
        registers: [metrics],
        collect() {
          this.set(sockets.size);
        },
      });
    },
    start() {
      // Revocations arrive over the bus within moments: the socket closes at once.
      stopRevocations = options.authentication.onRevoked((revoked) => {
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
    },
  };
}
