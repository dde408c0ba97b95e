import { randomUUID } from 'node:crypto';
import type { LiveChannel } from '@realchat/bus';
import type { Logger } from '@realchat/logging';
import type { LiveFrame, LiveHub } from '../domain/types.js';

/** The live channel subject every chat instance listens on (one subject: each instance filters by its own users). */
const LIVE_SUBJECT = 'chat.frames';

/** A socket of this instance, as the hub hands it frames. */
export interface LocalSocket {
  readonly userId: string;
  /** Queues `frame`, already serialised as `data` (UTF-8 JSON, shared by every socket: never modified); never throws. */
  push(frame: LiveFrame, data: Buffer): void;
}

/** What one instance publishes for the others: origin, recipients, frame. */
interface Envelope {
  readonly o: string;
  readonly u: readonly string[];
  readonly f: LiveFrame;
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { o, u, f } = value as Record<string, unknown>;
  return typeof o === 'string' && Array.isArray(u) && u.every((id) => typeof id === 'string') && typeof f === 'object' && f !== null && typeof (f as { type?: unknown }).type === 'string';
}

/**
 * Delivers frames to this instance's sockets at once and publishes them once for the other
 * instances, which deliver to theirs. At most once: a lost frame is recovered by `resume`.
 */
export class Hub implements LiveHub {
  /** Tells this instance's publications apart when they come back from the channel. */
  readonly instanceId = randomUUID();
  /** How this instance's envelopes start. */
  readonly #ownPrefix = `{"o":${JSON.stringify(this.instanceId)},`;
  readonly #local = new Map<string, Set<LocalSocket>>();
  readonly #channel: LiveChannel;
  readonly #logger: Logger;
  #unsubscribe: (() => void) | undefined;

  constructor(channel: LiveChannel, logger: Logger) {
    this.#channel = channel;
    this.#logger = logger;
  }

  start(): void {
    this.#unsubscribe ??= this.#channel.subscribe(LIVE_SUBJECT, (payload) => this.#fromOthers(payload));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  attach(socket: LocalSocket): void {
    let set = this.#local.get(socket.userId);
    if (set === undefined) this.#local.set(socket.userId, (set = new Set()));
    set.add(socket);
  }

  detach(socket: LocalSocket): void {
    const set = this.#local.get(socket.userId);
    if (set === undefined) return;
    set.delete(socket);
    if (set.size === 0) this.#local.delete(socket.userId);
  }

  deliver(userIds: readonly string[], frame: LiveFrame): void {
    if (userIds.length === 0) return;
    try {
      const text = JSON.stringify(frame);
      this.#deliverLocally(userIds, frame, text);
      // Built around the frame's text: serialised once for the sockets and the channel.
      this.#channel.publish(LIVE_SUBJECT, `${this.#ownPrefix}"u":${JSON.stringify(userIds)},"f":${text}}`);
    } catch (err) {
      this.#logger.error({ err, type: frame.type }, 'live delivery failed');
    }
  }

  #fromOthers(payload: string): void {
    // This instance's own publications come back too: dropped before parsing their recipient list.
    if (payload.startsWith(this.#ownPrefix)) return;
    let envelope: unknown;
    try {
      envelope = JSON.parse(payload);
    } catch {
      envelope = undefined;
    }
    if (!isEnvelope(envelope)) {
      this.#logger.warn('malformed live envelope dropped');
      return;
    }
    this.#deliverLocally(envelope.u, envelope.f, JSON.stringify(envelope.f));
  }

  #deliverLocally(userIds: readonly string[], frame: LiveFrame, text: string): void {
    // Encoded once: `ws` frames a Buffer as it is, where it would encode a string per socket.
    let data: Buffer | undefined;
    for (const userId of new Set(userIds)) {
      const sockets = this.#local.get(userId);
      if (sockets !== undefined) for (const socket of sockets) socket.push(frame, (data ??= Buffer.from(text)));
    }
  }
}
