/** How a publish failed: `transient` (the bus failed; the row stays pending and is retried) or `dead_letter` (never publishable; marked `failed_at`). */
export type OutboxFailureKind = 'transient' | 'dead_letter';

/** The state of one outbox, read by the relay after a drain (at most once per sample interval). */
export interface OutboxBacklog {
  /** Rows neither published nor dead-lettered. */
  readonly pending: number;
  /** `occurred_at` of the first pending row in publishing order, or null when none is pending. */
  readonly oldestPendingAt: Date | null;
  /** Rows marked `failed_at` and kept for inspection. */
  readonly deadLetters: number;
}

/**
 * Where a relay reports what it does, for whichever metrics system the service uses: the bus
 * depends on none (RealChat wires it to prom-client in @realchat/http's OutboxMetrics). Calls
 * must be cheap and must not throw.
 */
export interface OutboxRelayMetrics {
  /** `count` rows were published (counted once their batch committed). */
  published(count: number): void;
  /** `count` publishes failed; a transient failure stops its batch, so it comes one at a time. */
  failed(kind: OutboxFailureKind, count: number): void;
  /** The outbox as sampled at the end of a drain, whether it succeeded or not (at most once per sample interval). */
  sampled(backlog: OutboxBacklog): void;
}
