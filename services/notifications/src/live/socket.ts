import { Type, type Static } from 'typebox';
import type { WebSocket } from 'ws';
import type { UserPrincipal } from '@realchat/auth-verify';
import { CloseCode, createFrameParser, frame, LiveSocket, type LocalSocket, type SocketRegistry, type Transport } from '@realchat/live-socket';
import type { NotificationsContext } from '../context.js';
import type { LiveFrame } from '../domain/types.js';
import type { Inbox } from '../inbox/inbox.service.js';

/** Notifications fetched per query while replaying a resume. */
const RESUME_PAGE = 100;
/** Bound on the seqs remembered to avoid sending a notification twice (forgotten all at once past it). */
const MAX_REMEMBERED_SEQS = 4_096;

/** The only client frame besides `auth` and `ping`: replay from after this seq. */
const ResumeFrame = frame('resume', { after: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) });
type ClientFrame = Static<typeof ResumeFrame>;
const frames = createFrameParser({ resume: ResumeFrame });

/** What a socket needs from the endpoint holding it. */
export interface SocketHost {
  readonly context: NotificationsContext;
  readonly inbox: Inbox;
  readonly registry?: SocketRegistry;
  /** The connection under the socket; none in unit tests. */
  readonly transport?: Transport;
  /** The socket authenticated (first time: `previous` undefined) or swapped its token. */
  authenticated(socket: NotificationSocket, previous: UserPrincipal | undefined): void;
  closed(socket: NotificationSocket, principal: UserPrincipal | undefined): void;
}

/**
 * One `/notifications/ws` connection: a live socket that gets `notification.new` and `unread`,
 * sends `unread` after `ready`, and replays on `resume {after}` what it missed (then `resumed`
 * and `unread`), none twice.
 */
export class NotificationSocket extends LiveSocket<ClientFrame> implements LocalSocket<LiveFrame> {
  readonly #host: SocketHost;
  /** Live frames held while a resume replays (sent after it, without what it replayed). */
  #held: Array<{ frame: LiveFrame; data: Buffer }> | undefined;
  readonly #sent = new Set<number>();

  constructor(ws: WebSocket, host: SocketHost) {
    const { clock, logger, env, authentication } = host.context;
    super(ws, { clock, logger, authentication, authTimeoutMs: env.NOTIFICATIONS_AUTH_TIMEOUT_MS, queueMax: env.NOTIFICATIONS_SOCKET_QUEUE_MAX, frames, registry: host.registry, transport: host.transport });
    this.#host = host;
  }

  /** A live frame from the hub for this socket's user. */
  push(frame: LiveFrame, data: Buffer): void {
    if (this.closing || this.principal === undefined) return;
    if (this.#held !== undefined) {
      if (this.#held.length >= this.#host.context.env.NOTIFICATIONS_SOCKET_QUEUE_MAX) this.close(CloseCode.TOO_SLOW, 'send queue full');
      else this.#held.push({ frame, data });
      return;
    }
    if (frame.type === 'notification.new' && !this.#remember(frame.notification.seq)) return;
    this.sendData(data, false);
  }

  /** False when the notification with this seq went out on this socket already. */
  #remember(seq: number): boolean {
    if (this.#sent.has(seq)) return false;
    if (this.#sent.size >= MAX_REMEMBERED_SEQS) this.#sent.clear();
    this.#sent.add(seq);
    return true;
  }

  protected override onAuthenticated(previous: UserPrincipal | undefined): void {
    this.#host.authenticated(this, previous);
  }

  protected override async afterReady(previous: UserPrincipal | undefined): Promise<void> {
    if (previous === undefined) this.sendFrame({ type: 'unread', count: await this.#host.inbox.unreadCount(this.userId) });
  }

  protected override onClosed(principal: UserPrincipal | undefined): void {
    this.#held = undefined;
    this.#host.closed(this, principal);
  }

  protected override async handleFrame(frame: ClientFrame, principal: UserPrincipal): Promise<void> {
    const { inbox, context } = this.#host;
    this.#held = [];
    try {
      let cursor = frame.after;
      let left = context.env.NOTIFICATIONS_RESUME_MAX;
      let truncated = false;
      while (!this.closing) {
        const page = await inbox.after(principal.userId, cursor, Math.min(left, RESUME_PAGE) + 1);
        const kept = page.slice(0, Math.min(left, RESUME_PAGE));
        for (const notification of kept) if (this.#remember(notification.seq)) this.sendFrame({ type: 'notification.new', notification });
        const newest = kept.at(-1);
        if (newest !== undefined) cursor = newest.seq;
        left -= kept.length;
        if (page.length <= kept.length) break;
        if (left === 0) {
          truncated = true;
          break;
        }
      }
      this.sendFrame({ type: 'resumed', lastSeq: cursor, truncated });
      this.sendFrame({ type: 'unread', count: await inbox.unreadCount(principal.userId) });
    } finally {
      const held = this.#held;
      this.#held = undefined;
      // A held `unread` is no newer than the count sent after the replay.
      for (const { frame: live, data } of held ?? []) if (live.type !== 'unread') this.push(live, data);
    }
  }
}
