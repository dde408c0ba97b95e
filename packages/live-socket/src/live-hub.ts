import { randomUUID } from 'node:crypto';
import type { LiveChannel } from '@realchat/bus';
import type { Logger } from '@realchat/logging';

/** A socket of this instance, as the hub hands it frames. */
export interface LocalSocket<F> {
  readonly userId: string;
  /** Queues `frame`, already serialised as `data` (UTF-8 JSON, shared by every socket: never modified); never throws. */
  push(frame: F, data: Buffer): void;
}

/** What one instance publishes for the others: origin, recipients, frame. */
interface Envelope<F> {
  readonly o: string;
  readonly u: readonly string[];
  readonly f: F;
}

function isEnvelope<F>(value: unknown): value is Envelope<F> {
  if (typeof value !== 'object' || value === null) return false;
  const { o, u, f } = value as Record<string, unknown>;
  return typeof o === 'string' && Array.isArray(u) && u.every((id) => typeof id === 'string') && typeof f === 'object' && f !== null && typeof (f as { type?: unknown }).type === 'string';
}

/**
 * Delivers frames to this instance's sockets of their users at once and publishes them once, on
 * one subject of the service's live channel, for the other instances, which deliver to theirs
 * (each filters by its own users). At most once: a lost frame is recovered by `resume`.
 */
export class LiveHub<F extends { readonly type: string }> {
  /** Tells this instance's publications apart when they come back from the channel. */
  readonly instanceId = randomUUID();
  /** How this instance's envelopes start. */
  readonly #ownPrefix = `{"o":${JSON.stringify(this.instanceId)},`;
  readonly #local = new Map<string, Set<LocalSocket<F>>>();
  readonly #channel: LiveChannel;
  readonly #logger: Logger;
  readonly #subject: string;
  #unsubscribe: (() => void) | undefined;

  constructor(channel: LiveChannel, logger: Logger, subject: string) {
    this.#channel = channel;
    this.#logger = logger;
    this.#subject = subject;
  }

  start(): void {
    this.#unsubscribe ??= this.#channel.subscribe(this.#subject, (payload) => this.#fromOthers(payload));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  attach(socket: LocalSocket<F>): void {
    let set = this.#local.get(socket.userId);
    if (set === undefined) this.#local.set(socket.userId, (set = new Set()));
    set.add(socket);
  }

  detach(socket: LocalSocket<F>): void {
    const set = this.#local.get(socket.userId);
    if (set === undefined) return;
    set.delete(socket);
    if (set.size === 0) this.#local.delete(socket.userId);
  }

  /** To every socket of these users on every instance; never throws, never waits. */
  deliver(userIds: readonly string[], frame: F): void {
    if (userIds.length === 0) return;
    try {
      const text = JSON.stringify(frame);
      this.#deliverLocally(userIds, frame, text);
      // Built around the frame's text: serialised once for the sockets and the channel.
      this.#channel.publish(this.#subject, `${this.#ownPrefix}"u":${JSON.stringify(userIds)},"f":${text}}`);
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
    if (!isEnvelope<F>(envelope)) {
      this.#logger.warn('malformed live envelope dropped');
      return;
    }
    this.#deliverLocally(envelope.u, envelope.f, JSON.stringify(envelope.f));
  }

  #deliverLocally(userIds: readonly string[], frame: F, text: string): void {
    // Encoded once: `ws` frames a Buffer as it is, where it would encode a string per socket.
    let data: Buffer | undefined;
    for (const userId of new Set(userIds)) {
      const sockets = this.#local.get(userId);
      if (sockets !== undefined) for (const socket of sockets) socket.push(frame, (data ??= Buffer.from(text)));
    }
  }
}
