import type { Principal } from '../types.js';

interface Entry {
  readonly principal: Principal;
  /** The token's `exp` in epoch ms: the entry is never served at or after it. */
  readonly expMs: number;
  /** The user token's session, or null for a service token. */
  readonly sessionId: string | null;
  /** The service token's client ('' for a user token): checked against revoked clients on each hit. */
  readonly clientId: string;
  /** Second-chance bit: set on every hit, so eviction approximates LRU without reordering the map. */
  referenced: boolean;
}

/** Bounded cache of verified tokens keyed by the token string (CLOCK eviction). */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('cache.maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
  }

  /** The live entry for `token`, or undefined; an expired entry is dropped. */
  get(token: string, nowMs: number): Entry | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.expMs <= nowMs) {
      this.#entries.delete(token);
      return undefined;
    }
    entry.referenced = true;
    return entry;
  }

  set(token: string, principal: Principal, expMs: number, nowMs: number): void {
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(token)) this.#evictOne(nowMs);
    const user = principal.kind === 'user';
    this.#entries.set(token, { principal, expMs, sessionId: user ? principal.sessionId : null, clientId: user ? '' : principal.clientId, referenced: false });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #evictOne(nowMs: number): void {
    // Oldest first: an expired or unreferenced entry goes; a referenced one moves to the back once.
    for (const [token, entry] of this.#entries) {
      this.#entries.delete(token);
      if (entry.expMs <= nowMs || !entry.referenced) return;
      entry.referenced = false;
      this.#entries.set(token, entry);
    }
  }
}
