import type { Clock } from '@realchat/clock';
import type { Role } from '@realchat/contracts';
import type { RevocationList } from './revocation-list.js';

export type { Role } from '@realchat/contracts';

/** The asymmetric algorithms a RealChat access token may be signed with. */
export type Algorithm = 'RS256' | 'ES256' | 'EdDSA';

/** One public key as published in a JWKS (RFC 7517); only the members this package reads. */
export interface JsonWebKey {
  readonly kty: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly key_ops?: readonly string[];
  readonly n?: string;
  readonly e?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly [member: string]: unknown;
}

export interface JSONWebKeySet {
  readonly keys: readonly JsonWebKey[];
}

/** A person, authenticated by a user access token. */
export interface UserPrincipal {
  readonly kind: 'user';
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  readonly scopes: readonly string[];
  readonly tokenId: string;
  readonly expiresAt: Date;
}

/** Another service, authenticated by an OAuth 2.0 client-credentials token. */
export interface ServicePrincipal {
  readonly kind: 'service';
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly roles: readonly [];
  readonly tokenId: string;
  readonly expiresAt: Date;
}

/** Who is calling, as proven by a verified access token. Principals are frozen and may be shared. */
export type Principal = UserPrincipal | ServicePrincipal;

/** The subset of a pino logger the verifier writes to. */
export interface VerifierLogger {
  warn(obj: object, msg: string): void;
}

export interface JwksOptions {
  /** Minimum interval between refetches triggered by an unknown `kid`. Default 30 000. */
  readonly cooldownMs?: number;
  /** Lower bound of the background refresh interval (a smaller `Cache-Control: max-age` is raised to it). Default 60 000. */
  readonly minAgeMs?: number;
  /** Upper bound of the background refresh interval, and the age after which keys count as stale. Default 600 000. */
  readonly maxAgeMs?: number;
  /** Default 5 000. */
  readonly fetchTimeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface VerifierOptions {
  readonly issuer: string;
  /** The audience this verifier accepts; a token's `aud` (string or array) must contain one of them. */
  readonly audience: string | readonly string[];
  /** Remote key set, e.g. `http://auth/.well-known/jwks.json`. */
  readonly jwksUrl?: string;
  /**
   * Local keys: a static set, or a function returning the live set (the auth service verifying
   * its own tokens). Imported keys are cached per JWK object, so return the same objects while
   * the set is unchanged.
   */
  readonly keys?: JSONWebKeySet | (() => JSONWebKeySet);
  /** Default: all three. */
  readonly algorithms?: readonly Algorithm[];
  /** Allowed clock skew for `exp`, `nbf` and `iat`. Default 5. */
  readonly clockToleranceSec?: number;
  /** Time for the claims and the timers of the JWKS refresh. Default systemClock. */
  readonly clock?: Clock;
  readonly revocations?: RevocationList;
  /** Cache of verified tokens; `false` disables it. Default `{ maxEntries: 10_000 }`. */
  readonly cache?: { readonly maxEntries: number } | false;
  readonly jwks?: JwksOptions;
  readonly logger?: VerifierLogger;
}

export interface VerifierStatus {
  /** Usable keys right now (remote and local). */
  readonly keys: number;
  readonly lastFetchAt: Date | null;
  readonly lastError: string | null;
  /** Keys are served although the last fetch failed or they are older than `maxAgeMs`. */
  readonly stale: boolean;
  /** At least one key is usable. */
  readonly ready: boolean;
}

export interface Verifier {
  /**
   * Verifies an access token and returns its principal. Rejects with a TokenError (401) when the
   * token is not acceptable, or AppError('KEYS_UNAVAILABLE') (503) when no key could be loaded.
   */
  verify(token: string): Promise<Principal>;
  /** Fetches the JWKS once; a failure is recorded in `status()` and retried in the background. */
  start(): Promise<void>;
  status(): VerifierStatus;
  /** Stops background refreshes and aborts a fetch in flight. */
  close(): void;
}
