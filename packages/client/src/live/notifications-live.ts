import type { LiveContext } from '../client.js';
import { Emitter } from '../events.js';
import { LiveSocket, type LiveState, type StopReason } from './live-socket.js';
import type { Notification, NotificationsClientFrame, NotificationsPush, NotificationsResumed, NotificationsServerFrame } from './notifications-frames.js';

type PushEvents = { readonly [F in NotificationsPush as F['type']]: F };

export interface NotificationsLiveEvents extends PushEvents {
  readonly resumed: NotificationsResumed;
  readonly state: { readonly state: LiveState };
  readonly error: { readonly code: string; readonly ref?: string };
  readonly stopped: { readonly reason: StopReason };
}

export interface NotificationsLiveOptions {
  /**
   * The newest seq the app shows (0 for an empty inbox): what is newer is replayed on connect.
   * Without it the cursor starts at the first notification received.
   */
  readonly after?: number;
}

/**
 * The live side of notifications over `/notifications/ws`: `notification.new` in seq order and
 * once (a skipped seq resumes from the cursor), `unread` counts, and `resume {after}` on each
 * connection.
 */
export class NotificationsLive {
  readonly #events = new Emitter<NotificationsLiveEvents>();
  readonly #socket: LiveSocket<NotificationsServerFrame, NotificationsClientFrame>;
  #cursor: number | undefined;
  /** Notifications past a gap, held until the resume it started answers. */
  readonly #held = new Map<number, Notification>();

  constructor(context: LiveContext, options: NotificationsLiveOptions = {}) {
    this.#cursor = options.after;
    this.#socket = new LiveSocket<NotificationsServerFrame, NotificationsClientFrame>(context, '/notifications/ws', {
      ready: () => this.#resume(),
      frame: (frame) => this.#frame(frame),
      state: (state) => this.#events.emit('state', { state }),
      stopped: (reason) => this.#events.emit('stopped', { reason }),
    });
  }

  readonly on = this.#events.on.bind(this.#events);

  get state(): LiveState {
    return this.#socket.state;
  }

  /** The highest seq delivered with none missing below it. */
  get cursor(): number | undefined {
    return this.#cursor;
  }

  close(): void {
    this.#socket.close();
  }

  #resume(): void {
    if (this.#cursor !== undefined) this.#socket.send({ type: 'resume', after: this.#cursor });
  }

  #frame(frame: NotificationsServerFrame): void {
    switch (frame.type) {
      case 'notification.new':
        return this.#notification(frame.notification);
      case 'resumed': {
        // What the replay could not fill (truncated) is the app's to load from the inbox.
        for (const seq of [...this.#held.keys()].sort((a, b) => a - b)) this.#deliver(this.#held.get(seq)!);
        this.#held.clear();
        if ((this.#cursor ?? -1) < frame.lastSeq) this.#cursor = frame.lastSeq;
        return this.#events.emit('resumed', { lastSeq: frame.lastSeq, truncated: frame.truncated });
      }
      case 'unread':
        return this.#events.emit('unread', frame);
      case 'error':
        return this.#events.emit('error', frame);
      case 'pong':
        return;
    }
  }

  #notification(notification: Notification): void {
    const cursor = this.#cursor;
    if (cursor === undefined || notification.seq === cursor + 1) {
      this.#deliver(notification);
      for (let next = this.#held.get(notification.seq + 1); next !== undefined; next = this.#held.get(next.seq + 1)) {
        this.#held.delete(next.seq);
        this.#deliver(next);
      }
      return;
    }
    if (notification.seq <= cursor) return;
    const resuming = this.#held.size > 0;
    this.#held.set(notification.seq, notification);
    if (!resuming) this.#socket.send({ type: 'resume', after: cursor });
  }

  #deliver(notification: Notification): void {
    if (this.#cursor !== undefined && notification.seq <= this.#cursor) return;
    this.#cursor = notification.seq;
    this.#events.emit('notification.new', { type: 'notification.new', notification });
  }
}
