import type { EventEnvelope } from '@realchat/contracts';
import { AppError } from '@realchat/errors';

/**
 * The largest event, serialised as JSON in UTF-8, that the outbox accepts and both buses publish.
 * Below the NATS server's default `max_payload` (1 MiB), with room for headers and for the bytes a
 * JSONB round trip may add; an event is a notice of a change, not the place for its bulk data.
 */
export const MAX_EVENT_BYTES = 512 * 1024;

/** Rejects, as PAYLOAD_TOO_LARGE, an event whose JSON is over MAX_EVENT_BYTES; returns that JSON. */
export function serialiseEvent(event: EventEnvelope): string {
  const json = JSON.stringify(event);
  const size = Buffer.byteLength(json, 'utf8');
  if (size > MAX_EVENT_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `event ${event.type} ${event.id} is ${size} bytes, over the ${MAX_EVENT_BYTES}-byte limit of the bus`);
  }
  return json;
}
