import createClient from 'openapi-fetch';
import type { Clock, TimerHandle } from '../clock.js';
import { errorOf } from '../errors.js';
import { Emitter } from '../events.js';
import type { paths } from '../generated/index.js';
import type { RefreshLock } from './refresh-lock.js';
import type { TokenSet, TokenShare } from './token-share.js';

/** How the refresh token travels: an HttpOnly cookie the page cannot read (browsers), or JSON bodies (Node). */
export type RefreshTransport = 'cookie' | 'body';

export type Fetch = (request: Request) => Promise<Response>;

type TokenResponse = paths['/auth/login']['post']['responses'][200]['content']['application/json'];

export interface SessionOptions {
  readonly baseUrl: string;
  readonly fetch: Fetch;
  readonly clock: Clock;
  readonly transport: RefreshTransport;
  readonly lock: RefreshLock;
  readonly share: TokenShare;
  /** Refresh this long before the access token expires (at most half its lifetime). */
  readonly refreshMarginMs: number;
}

export interface SessionEvents {
  /** A new access token (signed in, refreshed here or by another client of the session). */
  readonly tokens: { readonly accessToken: string; readonly expiresAt: number };
  /** The session ended: signed out here or elsewhere, revoked, or its refresh token refused. */
  readonly signedOut: { readonly reason: 'signed-out' | 'refresh-refused' };
}

/** A failed background refresh is tried again this much later (while the access token lasts). */
const RETRY_MS = 10_000;
/** A token this close to its expiry is not sent: it could expire on the way. */
const EXPIRY_SKEW_MS = 1_000;
const COOKIE_HEADER = { 'x-refresh-token-transport': 'cookie' } as const;

/**
 * The tokens of one signed-in session: the access token in memory, refreshed shortly before it
 * expires and when a call is refused with `invalid_token`; one refresh at a time in this client
 * (single flight) and, through the lock, among the clients sharing the session (tabs), the ones
 * that waited adopting what the first obtained.
 */
export class Session {
  readonly #options: SessionOptions;
  readonly #auth: ReturnType<typeof createClient<paths>>;
  readonly #events = new Emitter<SessionEvents>();
  readonly #unsubscribe: () => void;
  #tokens: TokenSet | undefined;
  #inflight: Promise<string | undefined> | undefined;
  #timer: TimerHandle | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#auth = createClient<paths>({
      baseUrl: options.baseUrl,
      fetch: options.fetch,
      ...(options.transport === 'cookie' ? { headers: COOKIE_HEADER, credentials: 'include' } : {}),
    });
    // What another client of the session obtained (or its sign-out) is this client's too.
    this.#unsubscribe = options.share.subscribe((tokens) => (tokens === undefined ? this.#end('signed-out', false) : this.#adopt(tokens)));
    const known = options.share.latest();
    if (known !== undefined) this.#adopt(known);
  }

  readonly on = this.#events.on.bind(this.#events);

  /** The access token held now (maybe expired), or undefined when signed out. */
  get accessToken(): string | undefined {
    return this.#tokens?.accessToken;
  }

  get signedIn(): boolean {
    return this.#tokens !== undefined;
  }

  /** The unauthenticated auth routes, sending the cookie-transport header in browser mode. */
  get authApi(): ReturnType<typeof createClient<paths>> {
    return this.#auth;
  }

  /** Takes a token response (login) as this session's tokens and shares them. */
  accept(response: TokenResponse): void {
    this.#publish(this.#toSet(response));
  }

  /** An access token to send now: the current one, refreshed first when it is about to expire. */
  async token(): Promise<string | undefined> {
    const tokens = this.#tokens;
    if (tokens === undefined || !this.#expiring(tokens)) return tokens?.accessToken;
    return this.refresh(tokens.accessToken);
  }

  /**
   * A token newer than `stale` (the one a server refused, or one about to expire): the current
   * one if a refresh already replaced `stale`, else the result of the one refresh under way.
   * Undefined when the session is over.
   */
  refresh(stale: string | undefined): Promise<string | undefined> {
    const tokens = this.#tokens;
    if (tokens !== undefined && tokens.accessToken !== stale && !this.#expiring(tokens)) return Promise.resolve(tokens.accessToken);
    this.#inflight ??= this.#options.lock.run(() => this.#refreshHoldingLock(stale)).finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  /** Revokes the session at the auth service (best effort) and forgets its tokens, here and in the share. */
  async signOut(): Promise<void> {
    const refreshToken = this.#options.share.latest()?.refreshToken ?? this.#tokens?.refreshToken;
    try {
      if (this.#options.transport === 'cookie' || refreshToken !== undefined) {
        await this.#auth.POST('/auth/logout', { body: refreshToken === undefined ? {} : { refresh_token: refreshToken } });
      }
    } finally {
      this.#end('signed-out', true);
    }
  }

  /** Forgets the tokens of a session ended by other means (`logout-all`), here and in the share. */
  ended(): void {
    this.#end('signed-out', true);
  }

  /** Stops the background refresh and leaves the share; the session stays valid for others. */
  close(): void {
    this.#timer?.clear();
    this.#unsubscribe();
  }

  async #refreshHoldingLock(stale: string | undefined): Promise<string | undefined> {
    // Whoever held the lock before us may have refreshed: its tokens are ours, its refresh token spent.
    const shared = this.#options.share.latest();
    if (shared !== undefined && shared.accessToken !== stale && !this.#expiring(shared)) {
      this.#adopt(shared);
      return shared.accessToken;
    }
    const refreshToken = shared?.refreshToken ?? this.#tokens?.refreshToken;
    if (this.#options.transport === 'body' && refreshToken === undefined) {
      if (this.#tokens !== undefined) this.#end('refresh-refused', true);
      return undefined;
    }
    const { data, error, response } = await this.#auth.POST('/auth/refresh', { body: refreshToken === undefined ? {} : { refresh_token: refreshToken } });
    if (data !== undefined) return this.#publish(this.#toSet(data)).accessToken;
    // 5xx or a proxy failing: the session may still be good; a later call tries again.
    if (response.status >= 500) throw await errorOf(response, error);
    this.#end('refresh-refused', true);
    return undefined;
  }

  #toSet(response: TokenResponse): TokenSet {
    const expiresAt = this.#options.clock.now().getTime() + response.expires_in * 1000;
    return response.refresh_token === undefined ? { accessToken: response.access_token, expiresAt } : { accessToken: response.access_token, expiresAt, refreshToken: response.refresh_token };
  }

  #publish(tokens: TokenSet): TokenSet {
    this.#adopt(tokens);
    this.#options.share.publish(tokens);
    return tokens;
  }

  #adopt(tokens: TokenSet): void {
    if (this.#tokens?.accessToken === tokens.accessToken) return;
    this.#tokens = tokens;
    this.#schedule(tokens, tokens.expiresAt - this.#margin(tokens));
    this.#events.emit('tokens', { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt });
  }

  #end(reason: SessionEvents['signedOut']['reason'], share: boolean): void {
    this.#timer?.clear();
    if (this.#tokens === undefined) return;
    this.#tokens = undefined;
    if (share) this.#options.share.publish(undefined);
    this.#events.emit('signedOut', { reason });
  }

  /** The refresh margin for `tokens`: the configured one, at most half of what the token had left when received. */
  #margin(tokens: TokenSet): number {
    const lifetime = tokens.expiresAt - this.#options.clock.now().getTime();
    return Math.min(this.#options.refreshMarginMs, lifetime / 2);
  }

  #expiring(tokens: TokenSet): boolean {
    return this.#options.clock.now().getTime() >= tokens.expiresAt - EXPIRY_SKEW_MS;
  }

  #schedule(tokens: TokenSet, at: number): void {
    this.#timer?.clear();
    const { clock } = this.#options;
    this.#timer = clock.setTimeout(() => {
      this.refresh(tokens.accessToken).catch(() => {
        const retryAt = clock.now().getTime() + RETRY_MS;
        // Past the expiry, the next call refreshes (on its 401) instead.
        if (this.#tokens === tokens && retryAt < tokens.expiresAt) this.#schedule(tokens, retryAt);
      });
    }, Math.max(0, at - clock.now().getTime()));
  }
}
