import { systemClock, type Clock } from '@realchat/clock';
import { createRevocationList, type RevocationList, type Revoked } from './revocation-list.js';
import { subscribeRevocations, type RevocationEventSource } from './subscribe-revocations.js';
import type { JSONWebKeySet, JwksOptions, Verifier, VerifierLogger } from './types.js';
import { createVerifier } from './verifier.js';

/** Everything a process needs to authenticate callers locally: a verifier, the revocations it honours, and their feed. */
export interface Authentication {
  readonly verifier: Verifier;
  readonly revocations: RevocationList;
  /**
   * Loads the keys (never throws: a failure is retried in the background and shown by
   * `verifier.status()`) and subscribes to revocations, resolving once the replayed ones are applied.
   */
  start(): Promise<void>;
  /** Calls `listener` on every revocation (e.g. to close the revoked session's sockets); returns the function that stops it. */
  onRevoked(listener: (revoked: Revoked) => void): () => void;
  close(): Promise<void>;
}

export interface AuthenticationOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Where the public keys are fetched (a remote service), or the live key set (the service issuing the tokens). */
  readonly keys: { readonly jwksUrl: string } | { readonly local: () => JSONWebKeySet };
  /**
   * Where `session.revoked` and `client.revoked` arrive; without it, a revoked session's tokens
   * are refused only once they expire.
   */
  readonly bus?: RevocationEventSource;
  /**
   * The longest access-token lifetime (the issuer's `AUTH_ACCESS_TOKEN_TTL`): revocations published
   * this long before start-up still cover live tokens, so they are replayed at start.
   */
  readonly accessTokenTtlMs: number;
  readonly clock?: Clock;
  readonly logger?: VerifierLogger;
  /** The remote key cache's bounds (refetch cool-down, ages, timeout). */
  readonly jwks?: JwksOptions;
}

/**
 * Authentication in one call, for any service and the gateway: the key cache (remote JWKS or the
 * issuer's own keys), the revocation list, and the revocation feed replaying one access-token
 * lifetime, so a restarted process refuses every token revoked while it was down.
 */
export function createAuthentication(options: AuthenticationOptions): Authentication {
  if (!(options.accessTokenTtlMs > 0)) throw new RangeError('accessTokenTtlMs must be positive');
  const clock = options.clock ?? systemClock;
  const revocations = createRevocationList({ clock });
  const verifier = createVerifier({
    issuer: options.issuer,
    audience: options.audience,
    ...('jwksUrl' in options.keys ? { jwksUrl: options.keys.jwksUrl, ...(options.jwks === undefined ? {} : { jwks: options.jwks }) } : { keys: options.keys.local }),
    revocations,
    clock,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  let feed: { unsubscribe(): Promise<void> } | undefined;
  return {
    verifier,
    revocations,
    async start() {
      await verifier.start();
      if (options.bus !== undefined && feed === undefined) {
        feed = await subscribeRevocations(options.bus, revocations, {
          since: new Date(clock.now().getTime() - options.accessTokenTtlMs),
          ...(options.logger === undefined ? {} : { logger: options.logger }),
        });
      }
    },
    onRevoked: (listener) => revocations.onRevoked(listener),
    async close() {
      await feed?.unsubscribe();
      feed = undefined;
      verifier.close();
    },
  };
}
