import type { Algorithm } from '../types.js';
import { TokenError } from '../token-error.js';

/** Longer tokens are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Strict base64url decoding of an ASCII segment: Buffer skips characters outside the alphabet, so a decoded length
 * short of what the segment length implies means the segment had some; `=` padding is refused. Buffer also takes
 * `+` `/` and ignores the unused low bits of the last character: both are refused too, or one signature would have
 * several accepted spellings.
 */
export function decodeSegment(segment: string): Buffer {
  const bytes = Buffer.allocUnsafe(decodedLength(segment));
  decodeSegmentInto(segment, bytes);
  return bytes;
}

function decodedLength(segment: string): number {
  const length = segment.length;
  if (length === 0 || length % 4 === 1) throw new TokenError('MALFORMED');
  return Math.floor((length * 3) / 4);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Character code → 6-bit value (0 outside the alphabet: the length check refuses those). */
const VALUE = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** The last character of a segment of 4k+2 (4k+3) characters carries 4 (2) unused bits, which must be zero. */
function hasCanonicalTail(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  const last = VALUE[segment.charCodeAt(segment.length - 1) & 127]!;
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** {@link decodeSegment} into the start of `target` (a reused scratch buffer); returns the byte count. */
export function decodeSegmentInto(segment: string, target: Buffer): number {
  const expected = decodedLength(segment);
  if (expected > target.length || segment.includes('+') || segment.includes('/') || !hasCanonicalTail(segment)) throw new TokenError('MALFORMED');
  if (target.write(segment, 0, expected, 'base64url') !== expected) throw new TokenError('MALFORMED');
  return expected;
}

export function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TokenError('MALFORMED');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenError('MALFORMED');
  return value as Record<string, unknown>;
}

export interface Header {
  readonly alg: Algorithm;
  readonly kid: string;
}

/** Header parameters that would let the token choose its own key or add rules we do not know. */
const FORBIDDEN = ['jku', 'x5u', 'jwk', 'x5c', 'crit'] as const;
const TYP = /^(application\/)?at\+jwt$/i;

/** Validates a protected header: forbidden parameters, allowed algorithm, `typ`, `kid`. */
export function parseHeader(segment: string, allowed: ReadonlySet<Algorithm>): Header {
  const header = parseObject(decodeSegment(segment).toString('utf8'));
  for (const name of FORBIDDEN) if (name in header) throw new TokenError('FORBIDDEN_HEADER');
  const alg = header['alg'];
  if (typeof alg !== 'string' || !allowed.has(alg as Algorithm)) throw new TokenError('ALG_NOT_ALLOWED');
  const typ = header['typ'];
  if (typeof typ !== 'string' || !TYP.test(typ)) throw new TokenError('BAD_TYP');
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length === 0) throw new TokenError('UNKNOWN_KID');
  return { alg: alg as Algorithm, kid };
}
