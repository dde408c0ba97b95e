import { systemClock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import type { Algorithm, JSONWebKeySet, JsonWebKey, Principal, Verifier, VerifierOptions } from './types.js';
import { TokenError } from './token-error.js';
import { principalFromClaims, type ClaimRules } from './internal/claims.js';
import type { VerifyKey } from './internal/import-key.js';
import { decodeSegmentInto, MAX_TOKEN_LENGTH, parseHeader, parseObject, type Header } from './internal/jws.js';
import { importKeySet } from './internal/key-map.js';
import { createRemoteKeySet, type RemoteKeySet } from './internal/remote-key-set.js';
import { TokenCache } from './internal/token-cache.js';

const ALL_ALGORITHMS: readonly Algorithm[] = ['RS256', 'ES256', 'EdDSA'];
const HEADER_CACHE_MAX = 64;
const NO_KEYS: ReadonlyMap<string, VerifyKey> = new Map();
/** Payloads up to this size are judged before their signature is checked. */
const PRE_JUDGE_MAX_BYTES = 1024;

type Judged = { readonly principal: Principal; readonly expMs: number } | { readonly error: unknown };

function judgeClaims(payload: string, rules: ClaimRules, nowMs: number): Judged {
  try {
    return principalFromClaims(parseObject(payload), rules, nowMs);
  } catch (error) {
    return { error };
  }
}

/**
 * Creates the access-token verifier used by the gateway and every service: JWS checked with
 * `node:crypto` against keys pinned to one algorithm each, claims checked, revoked sessions and
 * clients refused from memory, verified tokens cached until their `exp`.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if (options.issuer.length === 0) throw new TypeError('issuer is required');
  const audiences = new Set(typeof options.audience === 'string' ? [options.audience] : options.audience);
  if (audiences.size === 0) throw new TypeError('audience is required');
  if (options.jwksUrl === undefined && options.keys === undefined) throw new TypeError('jwksUrl or keys is required');
  const allowed: ReadonlySet<Algorithm> = new Set(options.algorithms ?? ALL_ALGORITHMS);
  const clock = options.clock ?? systemClock;
  const revocations = options.revocations;
  const logger = options.logger;
  const rules: ClaimRules = { issuer: options.issuer, audiences, toleranceMs: (options.clockToleranceSec ?? 5) * 1000 };
  const cache = options.cache === false ? null : new TokenCache(options.cache?.maxEntries ?? 10_000);

  // A key that disappears (rotated out, or withdrawn after a compromise) must not keep
  // authorising tokens through the cache.
  const onKeysChanged = (removedSome: boolean): void => {
    if (removedSome) cache?.clear();
  };

  const remote: RemoteKeySet | null =
    options.jwksUrl === undefined ? null : createRemoteKeySet(options.jwksUrl, options.jwks ?? {}, allowed, clock, logger, onKeysChanged);

  const localSource = options.keys;
  const importedJwks = new WeakMap<JsonWebKey, VerifyKey | string>();
  let localSet: JSONWebKeySet | undefined;
  let localKeys: ReadonlyMap<string, VerifyKey> = NO_KEYS;
  const currentLocalKeys = (): ReadonlyMap<string, VerifyKey> => {
    if (localSource === undefined) return NO_KEYS;
    let set: JSONWebKeySet;
    try {
      set = typeof localSource === 'function' ? localSource() : localSource;
    } catch (err) {
      throw new AppError('KEYS_UNAVAILABLE', undefined, { cause: err });
    }
    if (set !== localSet) {
      const next = importKeySet(set, allowed, importedJwks, logger);
      onKeysChanged([...localKeys.keys()].some((kid) => !next.has(kid)));
      localKeys = next;
      localSet = set;
    }
    return localKeys;
  };
  const findKey = (kid: string): VerifyKey | undefined => currentLocalKeys().get(kid) ?? remote?.get(kid);

  // Tokens of one signing key share their header segment: parse each distinct valid one once.
  const headers = new Map<string, Header>();
  const headerOf = (segment: string): Header => {
    let header = headers.get(segment);
    if (header === undefined) {
      header = parseHeader(segment, allowed);
      if (headers.size >= HEADER_CACHE_MAX) headers.clear();
      headers.set(segment, header);
    }
    return header;
  };

  // Scratch space for the payload and the signature: decoding into reused buffers instead of
  // fresh ones takes allocation and GC off the per-token path. Safe because each is written and
  // read within one synchronous stretch (no await in between).
  const payloadScratch = Buffer.allocUnsafe((MAX_TOKEN_LENGTH * 3) >> 2);
  const signatureScratch = Buffer.allocUnsafe((MAX_TOKEN_LENGTH * 3) >> 2);

  const verifyWithKey = (token: string, dot1: number, dot2: number, header: Header, key: VerifyKey, nowMs: number): Principal => {
    // The key decides the algorithm; the header only has to agree (no RS/HS or RS/ES confusion).
    if (key.alg !== header.alg) throw new TokenError('ALG_NOT_ALLOWED');
    // Decoded before the signature check: it also proves the signing input is pure base64url.
    const payloadLength = decodeSegmentInto(token.slice(dot1 + 1, dot2), payloadScratch);
    if (decodeSegmentInto(token.slice(dot2 + 1), signatureScratch) !== key.signatureLength) throw new TokenError('BAD_SIGNATURE');
    const signature = signatureScratch.subarray(0, key.signatureLength);
    // A small payload (every token auth signs) is judged before the RSA operation evicts its data
    // from the caches (verifies run 1–2 % faster); a large one only once its signature passed, so a
    // forged one costs no parse. Either way the verdict comes after the signature's.
    let judged = payloadLength <= PRE_JUDGE_MAX_BYTES ? judgeClaims(payloadScratch.toString('utf8', 0, payloadLength), rules, nowMs) : undefined;
    let valid: boolean;
    try {
      valid = key.check(token.slice(0, dot2), signature);
    } catch (err) {
      // OpenSSL refuses some signatures outright (an RSA value not below the modulus).
      throw new TokenError('BAD_SIGNATURE', { cause: err });
    }
    if (!valid) throw new TokenError('BAD_SIGNATURE');

    judged ??= judgeClaims(payloadScratch.toString('utf8', 0, payloadLength), rules, nowMs);
    if ('error' in judged) throw judged.error;
    const { principal, expMs } = judged;
    if (
      revocations !== undefined &&
      ((principal.kind === 'user' ? revocations.isRevoked(principal.sessionId) : revocations.isClientRevoked(principal.clientId)) || revocations.isTokenRevoked(principal.tokenId))
    ) {
      throw new TokenError('REVOKED');
    }
    cache?.set(token, principal, expMs, nowMs);
    return principal;
  };

  const verifyAfterRefresh = async (token: string, dot1: number, dot2: number, header: Header, nowMs: number): Promise<Principal> => {
    await remote?.refreshForUnknownKid();
    const key = findKey(header.kid);
    if (key === undefined) {
      if (currentLocalKeys().size === 0 && (remote?.size ?? 0) === 0) throw new AppError('KEYS_UNAVAILABLE');
      throw new TokenError('UNKNOWN_KID');
    }
    return verifyWithKey(token, dot1, dot2, header, key, nowMs);
  };

  /** Synchronous unless the kid is unknown and the remote key set has to be refetched. */
  const verifyUncached = (token: string, nowMs: number): Principal | Promise<Principal> => {
    const dot1 = token.indexOf('.');
    const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
    if (dot1 <= 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) !== -1) throw new TokenError('MALFORMED');
    // Node's base64 decoder reads only the low byte of each character (U+0141 decodes as "A"):
    // refuse any non-ASCII character, or one signed token would have many accepted spellings.
    if (Buffer.byteLength(token, 'utf8') !== token.length) throw new TokenError('MALFORMED');
    const header = headerOf(token.slice(0, dot1));
    const key = findKey(header.kid);
    return key === undefined ? verifyAfterRefresh(token, dot1, dot2, header, nowMs) : verifyWithKey(token, dot1, dot2, header, key, nowMs);
  };

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new TokenError('MALFORMED');
      const nowMs = clock.now().getTime();
      const hit = cache?.get(token, nowMs);
      if (hit !== undefined) {
        if (
          revocations !== undefined &&
          ((hit.sessionId !== null ? revocations.isRevoked(hit.sessionId) : revocations.isClientRevoked(hit.clientId)) || revocations.isTokenRevoked(hit.principal.tokenId))
        ) {
          throw new TokenError('REVOKED');
        }
        return hit.principal;
      }
      return verifyUncached(token, nowMs);
    },
    async start() {
      currentLocalKeys();
      await remote?.refresh();
    },
    status() {
      let local = 0;
      try {
        local = currentLocalKeys().size;
      } catch {
        // A failing live key source counts as no local key; verify() reports it as KEYS_UNAVAILABLE.
      }
      const keys = local + (remote?.size ?? 0);
      const remoteStatus = remote?.status() ?? { lastFetchAt: null, lastError: null, stale: false };
      return { keys, ...remoteStatus, ready: keys > 0 };
    },
    close() {
      remote?.close();
      cache?.clear();
    },
  };
}
