import createClient, { type Client } from 'openapi-fetch';
import { systemClock, type Clock } from './clock.js';
import { errorOf } from './errors.js';
import { ChatLive, type ChatLiveOptions } from './live/chat-live.js';
import { NotificationsLive, type NotificationsLiveOptions } from './live/notifications-live.js';
import type { paths } from './generated/index.js';
import { platform, type WebSocketConstructor } from './platform.js';
import { authorizedFetch } from './tokens/authorized-fetch.js';
import { broadcastRefreshLock, processRefreshLock, webLocksRefreshLock, type RefreshLock } from './tokens/refresh-lock.js';
import { Session, type Fetch, type RefreshTransport } from './tokens/session.js';
import { broadcastTokenShare, memoryTokenShare, type TokenShare } from './tokens/token-share.js';

export interface RealChatOptions {
  /** Where the gateway answers (`http://127.0.0.1:8080`); default in a page: its own origin. */
  readonly baseUrl?: string;
  /** Default: `cookie` in a page (the refresh token never reaches script), `body` elsewhere. */
  readonly transport?: RefreshTransport;
  readonly fetch?: Fetch;
  /** Default: the global WebSocket (browsers, Node 22+); Node 20 passes `ws`'s. */
  readonly WebSocket?: WebSocketConstructor;
  readonly clock?: Clock;
  /** Default: Web Locks when present, else in a page a BroadcastChannel lock, else one lock per process. Share one between clients of one session. */
  readonly lock?: RefreshLock;
  /** Default: a BroadcastChannel between the tabs of a page's origin, else this client's memory. */
  readonly share?: TokenShare;
  /** Refresh this long before the access token expires (default 60 s, at most half its lifetime). */
  readonly refreshMarginMs?: number;
  /** Reconnect jitter source (default Math.random). */
  readonly random?: () => number;
}

type User = paths['/auth/me']['get']['responses'][200]['content']['application/json'];
type RegisterBody = paths['/auth/register']['post']['requestBody']['content']['application/json'];
type LoginBody = paths['/auth/login']['post']['requestBody']['content']['application/json'];

/** What live clients need from the client that made them. */
export interface LiveContext {
  readonly session: Session;
  readonly baseUrl: string;
  readonly WebSocket: WebSocketConstructor;
  readonly clock: Clock;
  readonly random: () => number;
}

const CHANNEL = 'realchat-session';

const originOfPage = (): string => {
  const origin = platform.origin();
  if (origin === undefined) throw new TypeError('baseUrl is required outside a page');
  return origin;
};

/**
 * The RealChat SDK: `api` for every route (typed from the services' OpenAPI documents, with the
 * session's token), sign-in and sign-out, and the live clients.
 */
export class RealChat {
  /** Every route, typed; authenticated calls carry the session's token (refreshed as needed). */
  readonly api: Client<paths>;
  readonly session: Session;
  readonly #live: LiveContext | undefined;
  readonly #owned: Array<{ close(): void }>;

  constructor(options: RealChatOptions = {}) {
    const baseUrl = (options.baseUrl ?? originOfPage()).replace(/\/$/, '');
    const fetch: Fetch = options.fetch ?? ((request) => globalThis.fetch(request));
    const clock = options.clock ?? systemClock;
    const page = platform.isBrowserPage();
    const transport = options.transport ?? (page ? 'cookie' : 'body');
    const Channel = page ? platform.BroadcastChannel() : undefined;
    // What this client creates for itself, it closes.
    this.#owned = [];
    const own = <T extends { close(): void }>(resource: T): T => {
      this.#owned.push(resource);
      return resource;
    };
    const locks = platform.locks();
    const lock =
      options.lock ??
      (locks !== undefined ? webLocksRefreshLock(locks, CHANNEL) : Channel !== undefined ? own(broadcastRefreshLock(`${CHANNEL}-lock`, Channel, clock)) : processRefreshLock());
    const share = options.share ?? own(Channel !== undefined ? broadcastTokenShare(CHANNEL, Channel) : memoryTokenShare());
    this.session = new Session({ baseUrl, fetch, clock, transport, lock, share, refreshMarginMs: options.refreshMarginMs ?? 60_000 });
    this.api = createClient<paths>({ baseUrl, fetch: authorizedFetch(this.session, fetch) });
    const WebSocket = options.WebSocket ?? platform.WebSocket();
    this.#live = WebSocket === undefined ? undefined : { session: this.session, baseUrl, WebSocket, clock, random: options.random ?? Math.random };
  }

  /** Creates an account (not signed in: `login` next). */
  async register(body: RegisterBody): Promise<User> {
    const { data, error, response } = await this.session.authApi.POST('/auth/register', { body });
    if (data === undefined) throw await errorOf(response, error);
    return data;
  }

  async login(body: LoginBody): Promise<void> {
    const { data, error, response } = await this.session.authApi.POST('/auth/login', { body });
    if (data === undefined) throw await errorOf(response, error);
    this.session.accept(data);
  }

  /**
   * Signs in again from what outlives a page load: the refresh cookie (cookie transport) or the
   * token share. True when signed in. Call it once a page starts, before showing a sign-in form.
   */
  async restore(): Promise<boolean> {
    return (await this.session.refresh(undefined)) !== undefined;
  }

  /** Ends this session (every client sharing it is signed out). */
  logout(): Promise<void> {
    return this.session.signOut();
  }

  /** Ends every session of the user, this one included. */
  async logoutAll(): Promise<void> {
    const { error, response } = await this.api.POST('/auth/logout-all', { body: {} });
    if (!response.ok) throw await errorOf(response, error);
    this.session.ended();
  }

  /** Opens `/chat/ws` for this session; it stays connected until closed or the session ends. */
  chatLive(options: ChatLiveOptions = {}): ChatLive {
    return new ChatLive(this.#liveContext(), options);
  }

  /** Opens `/notifications/ws` for this session (the notifications service must be running). */
  notificationsLive(options: NotificationsLiveOptions = {}): NotificationsLive {
    return new NotificationsLive(this.#liveContext(), options);
  }

  #liveContext(): LiveContext {
    if (this.#live === undefined) throw new TypeError('no WebSocket here: pass options.WebSocket (e.g. the ws package on Node 20)');
    return this.#live;
  }

  /** Stops background work (the refresh timer) and closes the channels it opened; the session stays valid. */
  close(): void {
    this.session.close();
    for (const resource of this.#owned) resource.close();
  }
}
