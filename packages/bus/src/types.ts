import type { EventEnvelope } from '@realchat/contracts';

export type EventHandler = (event: EventEnvelope) => Promise<void>;

/** Several events of a durable subscription, in order, all or nothing. */
export type BatchHandler = (events: readonly EventEnvelope[]) => Promise<void>;

export interface SubscribeOptions {
  /** Event types to receive, e.g. `['session.revoked']`. */
  readonly types: readonly string[];
  /**
   * Durable consumer name shared by every instance of a service: each event is handled by one
   * instance, redelivered until the handler resolves. Omit for a broadcast subscription, where
   * every subscriber (every instance) gets every event, e.g. revocations for verifier caches.
   */
  readonly durable?: string;
  /**
   * For broadcast subscriptions: also deliver events published since this instant (catch-up after
   * a restart). `subscribe` resolves once those published before it are handled.
   */
  readonly since?: Date;
  readonly handler: EventHandler;
  /**
   * Durable subscriptions: the events waiting at once, handled together (e.g. in one
   * transaction). When it throws, each of them goes to `handler` alone, so that one bad event
   * fails alone. A bus may hand every event to `handler` instead (the in-process bus does).
   */
  readonly batchHandler?: BatchHandler;
}

export interface Subscription {
  /** Stops delivery; a durable consumer keeps its position on the server. */
  unsubscribe(): Promise<void>;
}

/**
 * The event bus every service uses: NATS JetStream when distributed, in-process when embedded.
 * `publish` is idempotent by `event.id` (JetStream message id de-duplication).
 */
export interface EventBus {
  publish(event: EventEnvelope): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Resolves when the bus can publish (for `/readyz`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
