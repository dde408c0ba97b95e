import { InvalidEventError, isEvent, parseEnvelope, SessionRevoked, type EventEnvelope } from '@realchat/contracts';
import type { RevocationList } from './revocation-list.js';
import type { VerifierLogger } from './types.js';

/**
 * The part of `EventBus` (@realchat/bus) used here, typed structurally so this package does not
 * pull in the bus and its NATS client: any EventBus fits.
 */
export interface RevocationEventSource {
  subscribe(options: {
    readonly types: readonly string[];
    readonly since?: Date;
    readonly handler: (event: EventEnvelope) => Promise<void>;
  }): Promise<{ unsubscribe(): Promise<void> }>;
}

export interface SubscribeRevocationsOptions {
  /** Also apply revocations published since this instant (after a restart: now minus the access-token lifetime). */
  readonly since?: Date;
  readonly logger?: VerifierLogger;
}

/**
 * Feeds `session.revoked` events into `list` through a broadcast subscription, so every instance
 * rejects a revoked session's still-valid access tokens at once. The caller unsubscribes.
 */
export function subscribeRevocations(
  bus: RevocationEventSource,
  list: RevocationList,
  options: SubscribeRevocationsOptions = {},
): Promise<{ unsubscribe(): Promise<void> }> {
  return bus.subscribe({
    types: [SessionRevoked.type],
    ...(options.since === undefined ? {} : { since: options.since }),
    handler: async (received) => {
      let event;
      try {
        event = parseEnvelope(received);
      } catch (err) {
        // A malformed event is not retried into success: log and drop it.
        if (!(err instanceof InvalidEventError)) throw err;
        options.logger?.warn({ eventId: received.id, err: err.message }, 'invalid session.revoked event ignored');
        return;
      }
      if (!isEvent(event, 'session.revoked')) return;
      list.revoke(event.data.sessionId, new Date(event.data.accessTokenExpiresAt));
    },
  });
}
