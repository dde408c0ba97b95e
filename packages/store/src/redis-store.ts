import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { AppError } from '@realchat/errors';
import type { KeyValueStore } from './types.js';
import { checkStep, normalizeTtl } from './internal/ttl.js';

export interface RedisStoreOptions {
  /** `redis://...`; the store creates the client and closes it. Ignored when `client` is given. */
  readonly url?: string;
  /** A client the caller owns (and closes). */
  readonly client?: Redis;
  /** Prepended to every key, e.g. `realchat:gateway:`; tests use a random one. */
  readonly prefix: string;
  /** Per-command timeout of a client the store creates. Default 2 000 ms. */
  readonly commandTimeoutMs?: number;
  /** Receives connection errors of a client the store creates (commands also fail with them). */
  readonly onError?: (err: Error) => void;
}

// INCRBY then PTTL in one atomic step; the expiry is set only when the counter has none (it is
// new, or was written by SET without TTL), so a window never slides on later increments.
// A negative step never creates a counter and never leaves one below 0 (INCRBY keeps the TTL).
const INCREMENT_SCRIPT = `
if tonumber(ARGV[2]) < 0 and redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, 0}
end
local v = redis.call('INCRBY', KEYS[1], ARGV[2])
if v < 0 then
  v = redis.call('INCRBY', KEYS[1], -v)
end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  t = tonumber(ARGV[1])
end
return {v, t}
`;
const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

const SCAN_COUNT = 500;

/** Escapes glob metacharacters so a prefix is matched literally by SCAN MATCH. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function unavailable(err: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'The ephemeral store (Redis) is unavailable', { cause: err });
}

/**
 * The distributed KeyValueStore on Redis (ioredis 5). Every Redis failure surfaces as
 * AppError('SERVICE_UNAVAILABLE') with the cause; a client created here fails fast while Redis
 * is down instead of queueing commands forever.
 */
export function createRedisStore(options: RedisStoreOptions): KeyValueStore {
  const owned = options.client === undefined;
  let client: Redis;
  if (options.client !== undefined) {
    client = options.client;
  } else {
    if (options.url === undefined) throw new TypeError('createRedisStore needs a url or a client');
    client = new Redis(options.url, {
      // One retry per command, then reject: callers (rate limits, presence) degrade, not hang.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      connectTimeout: 2_000,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      // The commands of one tick (a batch's rate checks, presence) leave in one write.
      enableAutoPipelining: true,
    });
    // Without a listener ioredis prints every reconnect error; the commands report them anyway.
    client.on('error', (err: Error) => options.onError?.(err));
  }
  const prefix = options.prefix;

  const run = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw unavailable(err);
    }
  };

  const increment = async (key: string, ttl: number, by: number): Promise<unknown> => {
    try {
      return await client.evalsha(INCREMENT_SHA, 1, key, ttl, by);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(INCREMENT_SCRIPT, 1, key, ttl, by);
    }
  };

  return {
    get: (key) => run(() => client.get(prefix + key)),
    async set(key, value, ttlMs) {
      const full = prefix + key;
      if (ttlMs === undefined) await run(() => client.set(full, value));
      else {
        const ttl = normalizeTtl(ttlMs);
        await run(() => client.set(full, value, 'PX', ttl));
      }
    },
    async del(key) {
      await run(() => client.del(prefix + key));
    },
    async increment(key, ttlMs, by = 1) {
      const ttl = normalizeTtl(ttlMs);
      checkStep(by);
      const reply = await run(() => increment(prefix + key, ttl, by));
      if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
        throw unavailable(new Error('unexpected reply from the increment script'));
      }
      return { value: reply[0], ttlMs: reply[1] };
    },
    async scan(keyPrefix) {
      const match = `${escapeGlob(prefix + keyPrefix)}*`;
      return run(async () => {
        // SCAN may return a key twice; a Set keeps each once.
        const keys = new Set<string>();
        let cursor = '0';
        do {
          const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
          for (const k of batch) keys.add(k);
          cursor = next;
        } while (cursor !== '0');
        const all = [...keys];
        const found: Array<{ key: string; value: string }> = [];
        for (let i = 0; i < all.length; i += SCAN_COUNT) {
          const chunk = all.slice(i, i + SCAN_COUNT);
          const values = await client.mget(chunk);
          chunk.forEach((k, j) => {
            const value = values[j];
            // A key that expired between SCAN and MGET reads as null: it is gone.
            if (value !== null && value !== undefined) found.push({ key: k.slice(prefix.length), value });
          });
        }
        return found;
      });
    },
    async ping() {
      await run(() => client.ping());
    },
    async close() {
      if (!owned) return;
      try {
        await client.quit();
      } catch {
        // quit fails when the connection is already gone; drop the socket either way.
        client.disconnect();
      }
    },
  };
}
