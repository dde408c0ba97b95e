import { systemClock, type Clock } from '@realchat/clock';

/** Revoked sessions known to this process, checked on every verification without I/O. */
export interface RevocationList {
  /** Rejects the session's tokens until `until` (the latest `exp` of its access tokens), plus tolerance. */
  revoke(sessionId: string, until: Date): void;
  isRevoked(sessionId: string): boolean;
  /** Live entries. */
  size(): number;
}

export interface RevocationListOptions {
  readonly clock?: Clock;
  /** Kept past `until` to cover clock skew and the verifiers' tolerance. Default 60 000. */
  readonly toleranceMs?: number;
  /** Bound on entries; when full, expired entries go first, then those ending soonest. Default 100 000. */
  readonly maxEntries?: number;
}

/**
 * An in-memory set of revoked session ids with expiry. Entries vanish once every token of the
 * session has expired, so the set stays as small as the number of sessions revoked in one
 * access-token lifetime.
 */
export function createRevocationList(options: RevocationListOptions = {}): RevocationList {
  const clock = options.clock ?? systemClock;
  const toleranceMs = options.toleranceMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  /** sessionId → epoch ms after which the entry is dropped. */
  const entries = new Map<string, number>();

  const purge = (now: number): void => {
    for (const [sid, until] of entries) if (until <= now) entries.delete(sid);
  };

  const makeRoom = (now: number): void => {
    purge(now);
    if (entries.size < maxEntries) return;
    let victim: string | undefined;
    let soonest = Infinity;
    for (const [sid, until] of entries) {
      if (until < soonest) {
        soonest = until;
        victim = sid;
      }
    }
    if (victim !== undefined) entries.delete(victim);
  };

  return {
    revoke(sessionId, until) {
      const now = clock.now().getTime();
      const dropAt = until.getTime() + toleranceMs;
      if (!(dropAt > now)) return;
      const existing = entries.get(sessionId);
      if (existing === undefined && entries.size >= maxEntries) makeRoom(now);
      entries.set(sessionId, Math.max(existing ?? 0, dropAt));
    },
    isRevoked(sessionId) {
      const until = entries.get(sessionId);
      if (until === undefined) return false;
      if (until > clock.now().getTime()) return true;
      entries.delete(sessionId);
      return false;
    },
    size() {
      purge(clock.now().getTime());
      return entries.size;
    },
  };
}
