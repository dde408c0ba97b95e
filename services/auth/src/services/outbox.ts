import { appendToOutbox } from '@realchat/bus';
import type { Clock } from '@realchat/clock';
import { createEvent, type EventDataOf, type EventType } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';

export const AUTH_SCHEMA = 'auth';

/** Records events in the same transaction as the change; the relay publishes them after commit. */
export class AuthEvents {
  readonly #clock: Clock;
  readonly #wake: () => void;

  constructor(deps: { clock: Clock; wake: () => void }) {
    this.#clock = deps.clock;
    this.#wake = deps.wake;
  }

  async record<T extends EventType>(tx: Queryable, type: T, data: EventDataOf<T>): Promise<void> {
    await appendToOutbox(tx, AUTH_SCHEMA, createEvent(type, data, { producer: 'auth', occurredAt: this.#clock.now() }));
  }

  /** Call after the transaction committed, so the relay publishes without waiting for its next poll. */
  committed(): void {
    this.#wake();
  }
}
