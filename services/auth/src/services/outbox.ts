import type { Clock } from '@realchat/clock';
import { createEvent, type EventDataOf, type EventEnvelope, type EventType } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';

export const AUTH_SCHEMA = 'auth';

/** Records events in the same transaction as the change; the host's relay publishes them after commit. */
export class AuthEvents {
  readonly #clock: Clock;
  readonly #outbox: { append(tx: Queryable, event: EventEnvelope): Promise<void>; committed(): void };

  constructor(deps: { clock: Clock; outbox: { append(tx: Queryable, event: EventEnvelope): Promise<void>; committed(): void } }) {
    this.#clock = deps.clock;
    this.#outbox = deps.outbox;
  }

  async record<T extends EventType>(tx: Queryable, type: T, data: EventDataOf<T>): Promise<void> {
    await this.#outbox.append(tx, createEvent(type, data, { producer: 'auth', occurredAt: this.#clock.now() }));
  }

  /** Call after the transaction committed, so the relay publishes without waiting for its next poll. */
  committed(): void {
    this.#outbox.committed();
  }
}
