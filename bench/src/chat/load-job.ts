/** The commands a chat load process (load-worker.ts) takes over IPC, one at a time, each with one answer. */

export type ClientKind = 'chat' | 'ws' | 'socket.io';

/** One socket to open: for chat, the user's token and the direct conversation it talks in. */
export interface ClientSpec {
  readonly token?: string;
  readonly conversationId?: string;
}

export interface OpenCommand {
  readonly type: 'open';
  readonly kind: ClientKind;
  /** ws:// URL (chat, ws) or http:// origin (Socket.IO). */
  readonly url: string;
  readonly clients: readonly ClientSpec[];
  /** Source addresses used in turn (127.0.0.x): one address has ~28,000 ephemeral ports. */
  readonly localAddresses: readonly string[];
}

/**
 * Every client sends `message.send` frames into its direct conversation; the recipient measures
 * send → `message.new` from the send time carried in the body. `max`: each client sends its next
 * message as soon as the previous one is acked (closed loop); `rate`: `rate` messages/s over the
 * process's clients in all.
 */
export interface DirectCommand {
  readonly type: 'direct';
  readonly mode: 'max' | 'rate';
  readonly rate: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface DirectResult {
  readonly type: 'direct';
  /** Acks received inside the measured window. */
  readonly acked: number;
  /** Send → recipient's `message.new` (ms), for messages sent inside the window and received by this process. */
  readonly latencies: number[];
  readonly errors: number;
  readonly closed: number;
}

/** Arms the fan-out counters: every socket of the process expects `messages` frames carrying `marker`. */
export interface FanoutArmCommand {
  readonly type: 'fanout-arm';
  readonly messages: number;
  readonly marker: string;
}

/** The process's first client sends `messages` frames, at most `window` ahead of its own copy coming back. */
export interface FanoutGoCommand {
  readonly type: 'fanout-go';
  readonly messages: number;
  readonly window: number;
  /** chat: the group; ws: the exact text; Socket.IO: the object emitted. */
  readonly conversationId?: string;
  readonly payload: string;
}

/** Waits until every socket of the process has its frames (or `timeoutMs`). */
export interface FanoutWaitCommand {
  readonly type: 'fanout-wait';
  readonly timeoutMs: number;
}

export interface FanoutResult {
  readonly type: 'fanout';
  /** Wall-clock ms (performance.timeOrigin + now) of the first send (sender only) and of the last frame received. */
  readonly startAt?: number;
  readonly lastAt: number;
  readonly received: number;
  readonly expected: number;
  readonly closed: number;
}

export interface CloseCommand {
  readonly type: 'close';
}

export type LoadCommand = OpenCommand | DirectCommand | FanoutArmCommand | FanoutGoCommand | FanoutWaitCommand | CloseCommand;
export type LoadAnswer = { readonly type: 'opened'; readonly count: number; readonly failed: number } | DirectResult | FanoutResult | { readonly type: 'ok' } | { readonly type: 'error'; readonly message: string };
