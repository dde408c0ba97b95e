import { ClientRevoked, InvalidEventError, isEvent, parseEnvelope, SessionRevoked, TokenRevoked, type EventEnvelope } from '@realchat/contracts';
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
 * Feeds `session.revoked`, `client.revoked` and `token.revoked` events into `list` through a
 * broadcast subscription, so every instance rejects a revoked session's, client's or single
 * token's still-valid access tokens at once. The caller unsubscribes.
 */
export function subscribeRevocations(
  bus: RevocationEventSource,
  list: RevocationList,
  options: SubscribeRevocationsOptions = {},
): Promise<{ unsubscribe(): Promise<void> }> {
  return bus.subscribe({
    types: [SessionRevoked.type, ClientRevoked.type, TokenRevoked.type],
    ...(options.since === undefined ? {} : { since: options.since }),
    handler: async (received) => {
      let event;
      try {
        event = parseEnvelope(received);
      } catch (err) {
        // A malformed event is not retried into success: log and drop it.
        if (!(err instanceof InvalidEventError)) throw err;
        options.logger?.warn({ eventId: received.id, type: received.type, err: err.message }, 'invalid revocation event ignored');
        return;
      }
      if (isEvent(event, 'session.revoked')) list.revoke(event.data.sessionId, new Date(event.data.accessTokenExpiresAt));
      else if (isEvent(event, 'client.revoked')) list.revokeClient(event.data.clientId, new Date(event.data.accessTokenExpiresAt));
      else if (isEvent(event, 'token.revoked')) list.revokeToken(event.data.jti, new Date(event.data.expiresAt));
    },
  });
}
