import type { Algorithm, JSONWebKeySet, JsonWebKey, VerifierLogger } from '../types.js';
import { importVerifyKey, type VerifyKey } from './import-key.js';

/** Imports a key set into a map by `kid`; ignored keys are reported through `onIgnored`. */
export function importKeySet(
  jwks: JSONWebKeySet,
  allowed: ReadonlySet<Algorithm>,
  cache: WeakMap<JsonWebKey, VerifyKey | string> | null,
  logger: VerifierLogger | undefined,
): Map<string, VerifyKey> {
  const keys = new Map<string, VerifyKey>();
  for (const jwk of jwks.keys) {
    let imported = cache?.get(jwk);
    if (imported === undefined) {
      imported = importVerifyKey(jwk, allowed);
      cache?.set(jwk, imported);
    }
    if (typeof imported === 'string') {
      logger?.warn({ kid: jwk.kid, reason: imported }, 'JWKS key ignored');
      continue;
    }
    // Two keys under one kid would make the choice arbitrary: keep the first.
    if (keys.has(imported.kid)) {
      logger?.warn({ kid: imported.kid }, 'JWKS duplicate kid ignored');
      continue;
    }
    keys.set(imported.kid, imported);
  }
  return keys;
}
