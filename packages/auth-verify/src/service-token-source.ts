import { systemClock, type Clock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';

export interface ServiceTokenSourceOptions {
  /** The auth service's OAuth 2.0 token endpoint. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes to ask for; omitted, the client's default scopes. */
  readonly scope?: string;
  readonly clock?: Clock;
  /** A token is renewed when it has less than this left (at most half its lifetime). Default 60 000. */
  readonly refreshBeforeMs?: number;
  /** Default 5 000. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface ServiceTokenSource {
  /** A valid access token for this service, from cache or freshly obtained (one request at a time). */
  getToken(): Promise<string>;
  close(): void;
}

const TokenResponse = Type.Object({
  access_token: Type.String({ minLength: 1, maxLength: 8192 }),
  token_type: Type.String(),
  expires_in: Type.Number({ exclusiveMinimum: 0 }),
});
const tokenResponse = Compile(TokenResponse);

/** RFC 6749 §2.3.1: client id and secret are form-encoded before they go into Basic. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * Client-credentials tokens for service-to-service calls: cached, renewed `refreshBeforeMs`
 * before expiry, one request in flight at a time. If a renewal fails while the cached token is
 * still valid, the cached token is used. Failures: AppError('UPSTREAM_UNAVAILABLE') when the
 * auth service cannot answer, AppError('INTERNAL') when it refuses these credentials (a
 * misconfiguration of this service, not the caller's fault).
 */
export function createServiceTokenSource(options: ServiceTokenSourceOptions): ServiceTokenSource {
  const clock = options.clock ?? systemClock;
  const refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? fetch;
  const authorization = `Basic ${Buffer.from(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`).toString('base64')}`;
  const closing = new AbortController();

  let cached: { token: string; expiresAtMs: number; renewAtMs: number } | null = null;
  let inflight: Promise<string> | null = null;

  const request = async (): Promise<string> => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope !== undefined) body.set('scope', options.scope);
    let res: Response;
    let json: unknown;
    try {
      res = await doFetch(options.tokenUrl, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]),
      });
      json = await res.json().catch(() => null);
    } catch (err) {
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The token endpoint cannot be reached', { cause: err });
    }
    if (res.status === 400 || res.status === 401) {
      const oauthError = typeof json === 'object' && json !== null && 'error' in json ? String(json.error) : 'unknown';
      throw new AppError('INTERNAL', 'The token endpoint refused this service\'s credentials', {
        cause: new Error(`token endpoint answered ${res.status} ${oauthError}`),
      });
    }
    if (!res.ok || !tokenResponse.Check(json) || json.token_type.toLowerCase() !== 'bearer') {
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The token endpoint answered unexpectedly', {
        cause: new Error(`token endpoint answered ${res.status}`),
      });
    }
    const lifetimeMs = json.expires_in * 1000;
    const now = clock.now().getTime();
    // A lifetime shorter than refreshBeforeMs would otherwise send every call to the token endpoint.
    cached = { token: json.access_token, expiresAtMs: now + lifetimeMs, renewAtMs: now + lifetimeMs - Math.min(refreshBeforeMs, lifetimeMs / 2) };
    return json.access_token;
  };

  return {
    async getToken() {
      const now = clock.now().getTime();
      if (cached !== null && now < cached.renewAtMs) return cached.token;
      inflight ??= request().finally(() => {
        inflight = null;
      });
      try {
        return await inflight;
      } catch (err) {
        // Only an unreachable endpoint leaves the cached token usable: refused credentials mean
        // the client was revoked or its secret changed, and every verifier refuses its tokens too.
        const unreachable = err instanceof AppError && err.code === 'UPSTREAM_UNAVAILABLE';
        if (!unreachable) cached = null;
        else if (cached !== null && cached.expiresAtMs > clock.now().getTime()) return cached.token;
        throw err;
      }
    },
    close() {
      closing.abort();
      cached = null;
    },
  };
}
