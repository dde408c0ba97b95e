/**
 * The few platform objects the SDK uses, typed structurally: the SDK compiles without the DOM
 * library or Node's types, and tests (or unusual hosts) inject their own implementations.
 */

/**
 * An event handler property. Method syntax makes its parameter bivariant, so the platform's own
 * classes (whose handlers take the full DOM event types) fit these narrower interfaces.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** What the SDK needs of a WebSocket: the browser's, Node 22's global one, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A BroadcastChannel (browsers; Node between its threads). */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  onmessage: Handler<{ readonly data: unknown }> | null;
  close(): void;
}

export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

/** The Web Locks API's `navigator.locks`, as far as the SDK uses it. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

interface Globals {
  readonly WebSocket?: WebSocketConstructor;
  readonly BroadcastChannel?: BroadcastChannelConstructor;
  readonly navigator?: { readonly locks?: LockManagerLike };
  readonly document?: unknown;
  readonly location?: { readonly origin?: string };
}

const globals = globalThis as unknown as Globals;

export const platform = {
  WebSocket: (): WebSocketConstructor | undefined => globals.WebSocket,
  BroadcastChannel: (): BroadcastChannelConstructor | undefined => globals.BroadcastChannel,
  locks: (): LockManagerLike | undefined => globals.navigator?.locks,
  /** A page (not Node, not a worker): where the HttpOnly cookie transport applies. */
  isBrowserPage: (): boolean => globals.document !== undefined,
  /** The page's origin (`https://chat.example`), when there is a page. */
  origin: (): string | undefined => globals.location?.origin,
};
