import { systemClock, type Clock } from '@realchat/clock';

/** Revoked sessions, OAuth clients and single tokens known to this process, checked on every verification without I/O. */
export interface RevocationList {
  /** Rejects the session's tokens until `until` (the latest `exp` of its access tokens), plus tolerance. */
  revoke(sessionId: string, until: Date): void;
  isRevoked(sessionId: string): boolean;
  /** Rejects the client's service (client-credentials) tokens until `until`, plus tolerance. */
  revokeClient(clientId: string, until: Date): void;
  isClientRevoked(clientId: string): boolean;
  /** Rejects the one token whose `jti` this is until `until` (its `exp`), plus tolerance. */
  revokeToken(tokenId: string, until: Date): void;
  isTokenRevoked(tokenId: string): boolean;
  /** Live entries (sessions, clients and tokens). */
  size(): number;
  /** Calls `listener` on each revocation added from now on (e.g. to close the sockets it covers); returns the function that stops it. */
  onRevoked(listener: (revoked: Revoked) => void): () => void;
}

/** One revocation as listeners receive it. */
export type Revoked =
  | { readonly kind: 'session'; readonly sessionId: string }
  | { readonly kind: 'client'; readonly clientId: string }
  | { readonly kind: 'token'; readonly tokenId: string };

export interface RevocationListOptions {
  readonly clock?: Clock;
  /** Kept past `until` to cover clock skew and the verifiers' tolerance. Default 60 000. */
  readonly toleranceMs?: number;
  /**
   * Bound on entries of each kind (sessions, clients, tokens); when full, expired entries go first, then
   * those ending soonest. Default 100 000.
   */
  readonly maxEntries?: number;
}

/** ids → epoch ms after which the entry is dropped; bounded, and never holding an entry past its end. */
class ExpiringSet {
  readonly #entries = new Map<string, number>();
  readonly #clock: Clock;
  readonly #toleranceMs: number;
  readonly #maxEntries: number;

  constructor(clock: Clock, toleranceMs: number, maxEntries: number) {
    this.#clock = clock;
    this.#toleranceMs = toleranceMs;
    this.#maxEntries = maxEntries;
  }

  add(id: string, until: Date): void {
    const now = this.#clock.now().getTime();
    const dropAt = until.getTime() + this.#toleranceMs;
    if (!(dropAt > now)) return;
    const existing = this.#entries.get(id);
    if (existing === undefined && this.#entries.size >= this.#maxEntries) this.#makeRoom(now);
    this.#entries.set(id, Math.max(existing ?? 0, dropAt));
  }

  has(id: string): boolean {
    const until = this.#entries.get(id);
    if (until === undefined) return false;
    if (until > this.#clock.now().getTime()) return true;
    this.#entries.delete(id);
    return false;
  }

  size(): number {
    this.#purge(this.#clock.now().getTime());
    return this.#entries.size;
  }

  #purge(now: number): void {
    for (const [id, until] of this.#entries) if (until <= now) this.#entries.delete(id);
  }

  #makeRoom(now: number): void {
    this.#purge(now);
    if (this.#entries.size < this.#maxEntries) return;
    let victim: string | undefined;
    let soonest = Infinity;
    for (const [id, until] of this.#entries) {
      if (until < soonest) {
        soonest = until;
        victim = id;
      }
    }
    if (victim !== undefined) this.#entries.delete(victim);
  }
}

/**
 * An in-memory set of revoked session ids, client ids and token ids with expiry. Entries vanish once every
 * token they cover has expired, so the set stays as small as the number of sessions and clients
 * revoked in one access-token lifetime.
 */
export function createRevocationList(options: RevocationListOptions = {}): RevocationList {
  const clock = options.clock ?? systemClock;
  const toleranceMs = options.toleranceMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  const sessions = new ExpiringSet(clock, toleranceMs, maxEntries);
  const clients = new ExpiringSet(clock, toleranceMs, maxEntries);
  const tokens = new ExpiringSet(clock, toleranceMs, maxEntries);

  const listeners = new Set<(revoked: Revoked) => void>();
  const notify = (revoked: Revoked): void => {
    for (const listener of listeners) listener(revoked);
  };

  return {
    revoke(sessionId, until) {
      sessions.add(sessionId, until);
      notify({ kind: 'session', sessionId });
    },
    isRevoked: (sessionId) => sessions.has(sessionId),
    revokeClient(clientId, until) {
      clients.add(clientId, until);
      notify({ kind: 'client', clientId });
    },
    isClientRevoked: (clientId) => clients.has(clientId),
    revokeToken(tokenId, until) {
      tokens.add(tokenId, until);
      notify({ kind: 'token', tokenId });
    },
    isTokenRevoked: (tokenId) => tokens.has(tokenId),
    size: () => sessions.size() + clients.size() + tokens.size(),
    onRevoked(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
