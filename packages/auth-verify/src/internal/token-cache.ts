import type { Principal } from '../types.js';

interface Entry {
  /** The whole token: the map's key is only its end. */
  readonly token: string;
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

/**
 * Characters of a token's end (its signature's) the map is keyed by. A lookup hashes a fresh
 * string on every request: hashing 32 characters instead of the whole 800-character token is
 * most of what a hit costs. Two tokens that share an end are told apart by the full comparison.
 */
const KEY_CHARS = 32;

function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token;
}

/** Bounded cache of verified tokens (CLOCK eviction). */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('cache.maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
  }

  /** The live entry for `token`, or undefined; an expired entry is dropped. */
  get(token: string, nowMs: number): Entry | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (entry.expMs <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    entry.referenced = true;
    return entry;
  }

  set(token: string, principal: Principal, expMs: number, nowMs: number): void {
    const key = keyOf(token);
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(key)) this.#evictOne(nowMs);
    const user = principal.kind === 'user';
    this.#entries.set(key, { token, principal, expMs, sessionId: user ? principal.sessionId : null, clientId: user ? '' : principal.clientId, referenced: false });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #evictOne(nowMs: number): void {
    // Oldest first: an expired or unreferenced entry goes; a referenced one moves to the back once.
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key);
      if (entry.expMs <= nowMs || !entry.referenced) return;
      entry.referenced = false;
      this.#entries.set(key, entry);
    }
  }
}
