export type {
  Algorithm,
  JSONWebKeySet,
  JsonWebKey,
  JwksOptions,
  Principal,
  Role,
  ServicePrincipal,
  UserPrincipal,
  Verifier,
  VerifierLogger,
  VerifierOptions,
  VerifierStatus,
} from './types.js';
export { createVerifier } from './verifier.js';
export { MAX_TOKEN_LENGTH } from './internal/jws.js';
export { TokenError, isTokenError, type TokenErrorReason } from './token-error.js';
export { createRevocationList, type RevocationList, type RevocationListOptions, type Revoked } from './revocation-list.js';
export { createAuthentication, type Authentication, type AuthenticationOptions } from './authentication.js';
export { subscribeRevocations, type RevocationEventSource, type SubscribeRevocationsOptions } from './subscribe-revocations.js';
export { authGuard, principalOf, type AuthGuardOptions, type AuthMode } from './auth-guard.js';
export { verifyBearer } from './bearer.js';
export { createServiceTokenSource, type ServiceTokenSource, type ServiceTokenSourceOptions } from './service-token-source.js';
