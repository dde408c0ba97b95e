import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocketEndpoint } from './service.js';

const DEFAULT_MAX_PAYLOAD = 64 * 1024;

/** The WebSocket endpoints a process serves itself, behind whichever upgrade dispatcher it has. */
export interface SocketEndpoints {
  match(path: string): WebSocketEndpoint | undefined;
  /** Completes the handshake (the caller has made its checks) and hands the socket to the endpoint. */
  accept(endpoint: WebSocketEndpoint, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open sockets. */
  size(): number;
  /** Closes every open socket with 1012 (service restart: reconnect, to another instance), then destroys those that do not answer in time. */
  closeAll(): Promise<void>;
}

export function createSocketEndpoints(endpoints: readonly WebSocketEndpoint[]): SocketEndpoints {
  const servers = new Map<string, { endpoint: WebSocketEndpoint; wss: WebSocketServer }>();
  for (const endpoint of endpoints) {
    if (servers.has(endpoint.path)) throw new TypeError(`two WebSocket endpoints at ${endpoint.path}`);
    // A frame over maxPayload closes the socket with 1009 before it is buffered whole.
    const wss = new WebSocketServer({ noServer: true, maxPayload: endpoint.maxPayload ?? DEFAULT_MAX_PAYLOAD });
    servers.set(endpoint.path, { endpoint, wss });
  }
  const all = (): WebSocketServer[] => [...servers.values()].map((s) => s.wss);
  return {
    match: (path) => servers.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path)?.endpoint,
    accept(endpoint, req, socket, head) {
      const server = servers.get(endpoint.path);
      if (server === undefined) throw new TypeError(`no endpoint at ${endpoint.path}`);
      server.wss.handleUpgrade(req, socket, head, (ws) => {
        // A protocol error (an oversized frame) closes the socket by itself; unheard, it would crash the process.
        ws.on('error', () => undefined);
        endpoint.onConnection(ws, req);
      });
    },
    size: () => all().reduce((n, wss) => n + wss.clients.size, 0),
    async closeAll() {
      const open = all().flatMap((wss) => [...wss.clients]);
      if (open.length === 0) return;
      const closed = Promise.all(open.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())))));
      for (const ws of open) ws.close(1012, 'server shutting down');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000).unref()))]);
      clearTimeout(timer);
      for (const ws of open) ws.terminate();
    },
  };
}
