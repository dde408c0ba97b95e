import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Algorithm, JsonWebKey } from '../types.js';
import { eddsaCheck, es256Check, rs256Check, type SignatureCheck } from './signature.js';

/** A public key pinned to the one algorithm its type allows, with that algorithm's signature check. */
export interface VerifyKey {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly check: SignatureCheck;
  /** Exact signature length in bytes. */
  readonly signatureLength: number;
}

const MIN_RSA_BITS = 2048;

/** The only algorithm a key of this type may verify, or null when the type is not supported. */
function algorithmOf(jwk: JsonWebKey): Algorithm | null {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return null;
}

/** Keeps only public members, so private material published by mistake is never imported. */
function publicMembers(jwk: JsonWebKey): Record<string, string> | null {
  const pick = (...names: Array<'kty' | 'n' | 'e' | 'crv' | 'x' | 'y'>): Record<string, string> | null => {
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = jwk[name];
      if (typeof value !== 'string' || value.length === 0) return null;
      out[name] = value;
    }
    return out;
  };
  if (jwk.kty === 'RSA') return pick('kty', 'n', 'e');
  if (jwk.kty === 'EC') return pick('kty', 'crv', 'x', 'y');
  return pick('kty', 'crv', 'x');
}

/**
 * Imports one JWK for verification, or explains why it is ignored: not a signing key, symmetric,
 * of an unsupported type, declaring an `alg` its type cannot have, not allowed here, or too weak.
 */
export function importVerifyKey(jwk: JsonWebKey, allowed: ReadonlySet<Algorithm>): VerifyKey | string {
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 256) return 'missing kid';
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'use is not sig';
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return 'key_ops lacks verify';
  const alg = algorithmOf(jwk);
  if (alg === null) return `unsupported key type ${String(jwk.kty)}`;
  if (jwk.alg !== undefined && jwk.alg !== alg) return `alg ${String(jwk.alg)} does not match the key type`;
  if (!allowed.has(alg)) return `algorithm ${alg} not allowed`;
  const members = publicMembers(jwk);
  if (members === null) return 'missing public key members';
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: members, format: 'jwk' });
  } catch {
    return 'invalid key material';
  }
  if (alg === 'RS256') {
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return `RSA key of ${bits} bits is too small`;
    // e = 1 would make every block its own signature; an even e is no RSA key.
    const exponent = keyObject.asymmetricKeyDetails?.publicExponent ?? 0n;
    if (exponent < 3n || exponent % 2n === 0n) return `RSA public exponent ${exponent} is invalid`;
    const bytes = Math.ceil(bits / 8);
    return { kid: jwk.kid, alg, check: rs256Check(keyObject, bytes), signatureLength: bytes };
  }
  if (alg === 'ES256') return { kid: jwk.kid, alg, check: es256Check(keyObject), signatureLength: 64 };
  return { kid: jwk.kid, alg, check: eddsaCheck(keyObject), signatureLength: 64 };
}
