import type { BroadcastChannelConstructor } from '../platform.js';

/** The tokens of one session, as a client holds them. */
export interface TokenSet {
  readonly accessToken: string;
  /** Epoch ms, by the client's clock (from `expires_in`, so the server's clock skew does not matter). */
  readonly expiresAt: number;
  /** Only with the body transport; with the cookie transport the browser holds it (HttpOnly). */
  readonly refreshToken?: string;
}

/**
 * Where the clients of one session (tabs of one browser, or clients given the same share) find the
 * newest tokens any of them obtained: a client that waited for the refresh lock adopts those
 * instead of spending a refresh token again. `undefined` is "signed out".
 */
export interface TokenShare {
  latest(): TokenSet | undefined;
  publish(tokens: TokenSet | undefined): void;
  /** Calls `listener` with every publication (its own client's included); returns the unsubscribe. */
  subscribe(listener: (tokens: TokenSet | undefined) => void): () => void;
  close(): void;
}

/** Held in memory and seen by the clients given this same object (Node; tests standing in for tabs). */
export function memoryTokenShare(): TokenShare {
  let latest: TokenSet | undefined;
  const listeners = new Set<(tokens: TokenSet | undefined) => void>();
  return {
    latest: () => latest,
    publish(tokens) {
      latest = tokens;
      for (const listener of [...listeners]) listener(tokens);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: () => listeners.clear(),
  };
}

const isTokenSet = (value: unknown): value is TokenSet =>
  typeof value === 'object' && value !== null && typeof (value as TokenSet).accessToken === 'string' && typeof (value as TokenSet).expiresAt === 'number';

/**
 * Held in each tab's memory and announced to the other tabs of the origin over a BroadcastChannel
 * named `name`. Delivery is asynchronous: a tab may take the refresh lock before the announcement
 * of the refresh that just ended arrives; with the cookie transport it then refreshes with the
 * cookie that refresh already rotated (a wasted refresh, never a reused token).
 */
export function broadcastTokenShare(name: string, Channel: BroadcastChannelConstructor): TokenShare {
  const own = memoryTokenShare();
  const channel = new Channel(name);
  channel.onmessage = (event) => {
    const data = event.data as { readonly tokens?: unknown } | null;
    if (data === null || typeof data !== 'object') return;
    own.publish(isTokenSet(data.tokens) ? data.tokens : undefined);
  };
  return {
    latest: own.latest,
    publish(tokens) {
      own.publish(tokens);
      channel.postMessage({ tokens });
    },
    subscribe: own.subscribe,
    close() {
      channel.close();
      own.close();
    },
  };
}
