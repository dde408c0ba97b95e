import { Compile } from 'typebox/compile';
import { newId } from './ids.js';
import type { Static, TSchema } from 'typebox';
import { EnvelopeSchema, type EventDefinition, type EventEnvelope } from './envelope.js';
import { eventCatalog, type EventDataOf, type EventType } from './events.js';

const envelopeValidator = Compile(EnvelopeSchema);
const dataValidators = new Map<string, ReturnType<typeof Compile>>(
  Object.values(eventCatalog).map((def) => [`${def.type}@${def.version}`, Compile(def.schema)] as const),
);
const registered = new Map<string, TSchema>(Object.values(eventCatalog).map((def) => [`${def.type}@${def.version}`, def.schema] as const));

/**
 * Adds a service's own event types to those `parseEnvelope` validates, so a service declares its
 * events without editing this package. A type already known with another schema is refused.
 */
export function registerEvents(definitions: readonly EventDefinition<string, TSchema>[]): void {
  for (const def of definitions) {
    const key = `${def.type}@${def.version}`;
    const known = registered.get(key);
    if (known !== undefined && known !== def.schema) throw new TypeError(`event ${key} is already defined with another schema`);
    if (known === undefined) {
      registered.set(key, def.schema);
      dataValidators.set(key, Compile(def.schema));
    }
  }
}

/** Thrown when an event from outside (the bus, a relay row) does not match its contract. */
export class InvalidEventError extends Error {
  readonly code = 'INVALID_EVENT';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Validates an envelope and, for a known type and version, its data. Unknown types pass with `data: unknown`. */
export function parseEnvelope(value: unknown): EventEnvelope {
  if (!envelopeValidator.Check(value)) {
    const first = [...envelopeValidator.Errors(value)][0];
    throw new InvalidEventError(`invalid event envelope: ${first?.instancePath ?? ''} ${first?.message ?? ''}`.trim());
  }
  const validator = dataValidators.get(`${value.type}@${value.version}`);
  if (validator !== undefined && !validator.Check(value.data)) {
    const first = [...validator.Errors(value.data)][0];
    throw new InvalidEventError(`invalid ${value.type} v${value.version} data: ${first?.instancePath ?? ''} ${first?.message ?? ''}`.trim());
  }
  return value;
}

/** True when `event` is of type `type`, narrowing its `data` (call after parseEnvelope). */
export function isEvent<T extends EventType>(event: EventEnvelope, type: T): event is EventEnvelope<T, EventDataOf<T>> {
  return event.type === type && event.version === eventCatalog[type].version;
}

/** Builds a validated envelope for a known event type; `id` is a UUIDv7, so ids sort by time. */
export function createEvent<T extends EventType>(
  type: T,
  data: EventDataOf<T>,
  meta: { producer: string; occurredAt: Date },
): EventEnvelope<T, EventDataOf<T>> {
  const event = {
    id: newId(),
    type,
    version: eventCatalog[type].version,
    occurredAt: meta.occurredAt.toISOString(),
    producer: meta.producer,
    data,
  };
  parseEnvelope(event);
  return event;
}

/** Builds a validated envelope of a service's own event type (see registerEvents). */
export function createEventOf<T extends string, S extends TSchema>(
  definition: EventDefinition<T, S>,
  data: Static<S>,
  meta: { producer: string; occurredAt: Date },
): EventEnvelope<T, Static<S>> {
  registerEvents([definition]);
  const event = { id: newId(), type: definition.type, version: definition.version, occurredAt: meta.occurredAt.toISOString(), producer: meta.producer, data };
  parseEnvelope(event);
  return event;
}

/** True when `event` (already through parseEnvelope) is of `definition`'s type and version, narrowing its `data`. */
export function isEventOf<T extends string, S extends TSchema>(event: EventEnvelope, definition: EventDefinition<T, S>): event is EventEnvelope<T, Static<S>> {
  return event.type === definition.type && event.version === definition.version;
}
