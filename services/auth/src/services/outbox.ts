import type { Clock } from '@realchat/clock';
import { createEvent, type EventDataOf, type EventType } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';
import type { Outbox } from '@realchat/runtime';

export const AUTH_SCHEMA = 'auth';

/** The part of the host's outbox auth uses. */
export type AuthOutbox = Pick<Outbox, 'append' | 'committed'>;

/** Records events in the same transaction as the change; the host's relay publishes them after commit. */
export class AuthEvents {
  readonly #clock: Clock;
  readonly #outbox: AuthOutbox;

  constructor(deps: { clock: Clock; outbox: AuthOutbox }) {
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
