import type { Clock, TimerHandle } from '@realchat/clock';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Algorithm, JSONWebKeySet, JwksOptions, VerifierLogger } from '../types.js';
import type { VerifyKey } from './import-key.js';
import { importKeySet } from './key-map.js';

const JwksSchema = Type.Object(
  { keys: Type.Array(Type.Object({ kty: Type.String({ maxLength: 10 }) }, { additionalProperties: true }), { maxItems: 100 }) },
  { additionalProperties: true },
);
const jwksValidator = Compile(JwksSchema);

const MAX_BODY_BYTES = 256 * 1024;
const FIRST_RETRY_MS = 1_000;
const MIN_RETRY_MS = 10;

export interface RemoteKeySet {
  get(kid: string): VerifyKey | undefined;
  readonly size: number;
  /** Fetches now (joining a fetch in flight); never rejects, failures land in `status`. */
  refresh(): Promise<void>;
  /** Refetches for an unknown `kid` unless one was attempted within the cooldown. */
  refreshForUnknownKid(): Promise<void>;
  status(): { lastFetchAt: Date | null; lastError: string | null; stale: boolean };
  close(): void;
}

/** Reads `max-age` from Cache-Control; `no-store`/`no-cache` count as 0 (raised to the minimum). */
function maxAgeMs(header: string | null): number | null {
  if (header === null) return null;
  if (/\bno-(store|cache)\b/i.test(header)) return 0;
  const m = /\bmax-age\s*=\s*"?(\d{1,9})"?/i.exec(header);
  return m === null ? null : Number(m[1]) * 1000;
}

/** The body as UTF-8 text; stops reading and cancels the stream once it passes `max` bytes (Content-Length may be absent or wrong). */
async function readCapped(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new Error('JWKS response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A JWKS fetched from the auth service and kept fresh: single-flight fetches, background refresh
 * by Cache-Control within bounds, cooled-down refetch for unknown kids, and stale-if-error (a
 * failed fetch never drops the keys already held).
 */
export function createRemoteKeySet(
  url: string,
  options: JwksOptions,
  allowed: ReadonlySet<Algorithm>,
  clock: Clock,
  logger: VerifierLogger | undefined,
  /** Called after the key set changed, with whether some kid disappeared. */
  onChange: (removedSome: boolean) => void,
): RemoteKeySet {
  const cooldownMs = options.cooldownMs ?? 30_000;
  const minAgeMs = options.minAgeMs ?? 60_000;
  const maxAge = Math.max(options.maxAgeMs ?? 600_000, minAgeMs);
  const timeoutMs = options.fetchTimeoutMs ?? 5_000;
  const doFetch = options.fetch ?? fetch;
  const closing = new AbortController();

  let keys = new Map<string, VerifyKey>();
  let lastFetchAt: number | null = null;
  let lastAttemptAt: number | null = null;
  let lastError: string | null = null;
  let failures = 0;
  let inflight: Promise<void> | null = null;
  let timer: TimerHandle | undefined;

  const schedule = (ms: number): void => {
    timer?.clear();
    if (closing.signal.aborted) return;
    timer = clock.setTimeout(() => void refresh(), ms, { unref: true });
  };

  const load = async (): Promise<{ jwks: JSONWebKeySet; ageMs: number | null }> => {
    const res = await doFetch(url, {
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`JWKS answered HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_BODY_BYTES) {
      await res.body?.cancel();
      throw new Error('JWKS response too large');
    }
    const body: unknown = JSON.parse(await readCapped(res, MAX_BODY_BYTES));
    if (!jwksValidator.Check(body)) throw new Error('JWKS response is not a JWK set');
    return { jwks: body as JSONWebKeySet, ageMs: maxAgeMs(res.headers.get('cache-control')) };
  };

  const attempt = async (): Promise<void> => {
    lastAttemptAt = clock.now().getTime();
    try {
      const { jwks, ageMs } = await load();
      const next = importKeySet(jwks, allowed, null, logger);
      if (next.size === 0) throw new Error('JWKS has no usable key');
      const removedSome = [...keys.keys()].some((kid) => !next.has(kid));
      const changed = removedSome || next.size !== keys.size;
      keys = next;
      lastFetchAt = clock.now().getTime();
      lastError = null;
      failures = 0;
      if (changed) onChange(removedSome);
      schedule(Math.min(Math.max(ageMs ?? maxAge, minAgeMs), maxAge));
    } catch (err) {
      if (closing.signal.aborted) return;
      lastError = err instanceof Error ? err.message : String(err);
      failures += 1;
      logger?.warn({ url, err: lastError, keptKeys: keys.size }, 'JWKS fetch failed');
      // Back off from 1 s (or the cooldown if shorter), doubling, up to the cooldown: auth coming
      // back is noticed soon without hammering it.
      schedule(Math.max(MIN_RETRY_MS, Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), cooldownMs)));
    }
  };

  const refresh = (): Promise<void> => {
    if (closing.signal.aborted) return Promise.resolve();
    inflight ??= attempt().finally(() => {
      inflight = null;
    });
    return inflight;
  };

  return {
    get: (kid) => keys.get(kid),
    get size() {
      return keys.size;
    },
    refresh,
    refreshForUnknownKid() {
      if (inflight !== null) return inflight;
      if (lastAttemptAt !== null && clock.now().getTime() - lastAttemptAt < cooldownMs) return Promise.resolve();
      return refresh();
    },
    status() {
      const now = clock.now().getTime();
      return {
        lastFetchAt: lastFetchAt === null ? null : new Date(lastFetchAt),
        lastError,
        stale: keys.size > 0 && (lastError !== null || (lastFetchAt !== null && now - lastFetchAt > maxAge)),
      };
    },
    close() {
      closing.abort();
      timer?.clear();
    },
  };
}
