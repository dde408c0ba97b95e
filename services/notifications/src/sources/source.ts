import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { EventDefinition } from '@realchat/contracts';
import type { Draft, OnlineUsers } from '../domain/types.js';

/** What a source may ask while it turns an event into drafts. */
export interface SourceContext {
  readonly online: OnlineUsers;
}

/** An event's payload broke its contract: the event is parked as a dead letter, not retried. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

/** One event type (and version) of a source, with the drafts it yields. */
export interface Reaction {
  readonly type: string;
  readonly version: number;
  /** The drafts for `data`, in order of precedence (the inbox keeps one per recipient); InvalidPayloadError when `data` breaks the contract. */
  drafts(data: unknown, context: SourceContext): Promise<readonly Draft[]>;
}

/** A domain whose events notify: one durable consumer (`notifications-<name>`) for its reactions' types. */
export interface Source {
  readonly name: string;
  readonly reactions: readonly Reaction[];
}

/** The reaction to `event`: its payload is checked against the event's own schema before `draft` sees it. */
export function on<S extends TSchema>(event: EventDefinition<string, S>, draft: (data: Static<S>, context: SourceContext) => readonly Draft[] | Promise<readonly Draft[]>): Reaction {
  const validator = Compile(event.schema);
  return {
    type: event.type,
    version: event.version,
    async drafts(data, context) {
      if (!validator.Check(data)) {
        const first = [...validator.Errors(data)][0];
        throw new InvalidPayloadError(`invalid ${event.type} v${event.version} data: ${first?.instancePath ?? ''} ${first?.message ?? ''}`.trim());
      }
      return draft(data as Static<S>, context);
    },
  };
}

export function defineSource(name: string, reactions: readonly Reaction[]): Source {
  return { name, reactions };
}
