import { Compile } from 'typebox/compile';
import { newId } from './ids.js';
import { EnvelopeSchema, type EventEnvelope } from './envelope.js';
import { eventCatalog, type EventDataOf, type EventType } from './events.js';

const envelopeValidator = Compile(EnvelopeSchema);
const dataValidators = new Map<string, ReturnType<typeof Compile>>(
  Object.values(eventCatalog).map((def) => [`${def.type}@${def.version}`, Compile(def.schema)] as const),
);

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
