import type { WebSocketEndpoint } from '@realchat/runtime';
import type { ChatContext } from '../context.js';
import type { LiveHub, Messaging, People } from '../domain/types.js';

/** Fan-out between instances (created first: messaging publishes into it). */
export interface HubPart {
  readonly hub: LiveHub;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLiveHub(_context: ChatContext): HubPart {
  return { hub: { deliver: () => undefined }, start: async () => undefined, stop: async () => undefined };
}

/** The `/chat/ws` endpoint: authentication, frames, presence and typing, backpressure. */
export interface SocketsPart {
  readonly endpoint: WebSocketEndpoint;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createChatSockets(_context: ChatContext, _deps: { readonly hub: HubPart; readonly messaging: Messaging; readonly people: People }): SocketsPart {
  return {
    endpoint: { path: '/chat/ws', onConnection: (socket) => socket.close(1011, 'not built yet') },
    start: async () => undefined,
    stop: async () => undefined,
  };
}
