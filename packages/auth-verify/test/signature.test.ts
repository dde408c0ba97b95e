import { constants, createHash, generateKeyPairSync, privateEncrypt, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JsonWebKey } from '../src/index.js';
import { importVerifyKey } from '../src/internal/import-key.js';
import { rs256Check } from '../src/internal/signature.js';

// rs256Check replaces crypto.verify for RS256: these tests hold it to accepting exactly what
// crypto.verify accepts, for honest signatures and for blocks crafted to exploit lax parsing.

const DIGEST_INFO = {
  sha256: '3031300d060960864801650304020105000420',
  sha256NoNull: '302f300b0609608648016503040201' + '0420',
  sha1: '3021300906052b0e03021a05000414',
  sha512: '3051300d060960864801650304020305000440',
};

interface Pair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly bytes: number;
}

const pairs: Pair[] = [2048, 3072].map((bits) => ({ ...generateKeyPairSync('rsa', { modulusLength: bits }), bytes: bits / 8 }));

/** 00 01 FF…FF 00 || digestInfo || hash, padded to the modulus; `mutate` may damage it before signing. */
function block(pair: Pair, digestInfoHex: string, hash: Buffer, mutate: (b: Buffer) => void = () => {}): Buffer {
  const tail = Buffer.concat([Buffer.from(digestInfoHex, 'hex'), hash]);
  const b = Buffer.alloc(pair.bytes, 0xff);
  b[0] = 0x00;
  b[1] = 0x01;
  b[pair.bytes - tail.length - 1] = 0x00;
  tail.copy(b, pair.bytes - tail.length);
  mutate(b);
  return b;
}

/** The raw RSA private operation over a crafted block: what a signer with any padding bug would emit. */
function rawSign(pair: Pair, em: Buffer): Buffer {
  return privateEncrypt({ key: pair.privateKey, padding: constants.RSA_NO_PADDING }, em);
}

type Outcome = boolean | 'threw';

function outcomes(pair: Pair, message: string, signature: Buffer): { ours: Outcome; openssl: Outcome } {
  const attempt = (fn: () => boolean): Outcome => {
    try {
      return fn();
    } catch {
      return 'threw';
    }
  };
  return {
    ours: attempt(() => rs256Check(pair.publicKey, pair.bytes)(message, signature)),
    openssl: attempt(() => verify('sha256', Buffer.from(message, 'latin1'), pair.publicKey, signature)),
  };
}

const sha = (algorithm: string, text: string): Buffer => createHash(algorithm).update(text, 'latin1').digest();

describe.each(pairs.map((p) => [p.bytes * 8, p] as const))('rs256Check with a %i-bit key', (_bits, pair) => {
  const message = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0';

  it('accepts what crypto.sign produces, for many messages, as crypto.verify does', () => {
    for (let i = 0; i < 50; i++) {
      const text = `${message}${randomBytes(1 + i).toString('base64url')}`;
      const signature = rawSign(pair, block(pair, DIGEST_INFO.sha256, sha('sha256', text)));
      // The crafted block is the canonical one: the forgeries below differ from it only as named.
      expect(signature.equals(sign('sha256', Buffer.from(text, 'latin1'), pair.privateKey))).toBe(true);
      expect(outcomes(pair, text, signature)).toEqual({ ours: true, openssl: true });
    }
  });

  it('refuses a flipped bit in the signature or the message, as crypto.verify does', () => {
    const signature = sign('sha256', Buffer.from(message, 'latin1'), pair.privateKey);
    for (let i = 0; i < 40; i++) {
      const damaged = Buffer.from(signature);
      const bit = (i * 53) % (damaged.length * 8);
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      expect(outcomes(pair, message, damaged)).toEqual({ ours: false, openssl: false });
    }
    expect(outcomes(pair, `${message}A`, signature)).toEqual({ ours: false, openssl: false });
  });

  const forged: Array<[string, (text: string) => Buffer]> = [
    ['DigestInfo without its NULL parameters', (text) => block(pair, DIGEST_INFO.sha256NoNull, sha('sha256', text))],
    ['a SHA-1 DigestInfo', (text) => block(pair, DIGEST_INFO.sha1, sha('sha1', text))],
    ['a SHA-512 DigestInfo', (text) => block(pair, DIGEST_INFO.sha512, sha('sha512', text))],
    ['block type 02', (text) => block(pair, DIGEST_INFO.sha256, sha('sha256', text), (b) => (b[1] = 0x02))],
    ['a leading byte other than 00', (text) => block(pair, DIGEST_INFO.sha256, sha('sha256', text), (b) => (b[0] = 0x01))],
    ['a padding byte other than FF', (text) => block(pair, DIGEST_INFO.sha256, sha('sha256', text), (b) => (b[9] = 0xfe))],
    [
      // Bleichenbacher 2006: short padding, the hash, then garbage a lax parser never reads.
      'short padding with trailing garbage',
      (text) => {
        const b = Buffer.alloc(pair.bytes, 0xab);
        Buffer.concat([Buffer.from('0001ffffffffffffffff00', 'hex'), Buffer.from(DIGEST_INFO.sha256, 'hex'), sha('sha256', text)]).copy(b);
        return b;
      },
    ],
    ['the hash of another message', (text) => block(pair, DIGEST_INFO.sha256, sha('sha256', `${text}.`))],
  ];

  it.each(forged)('refuses %s, as crypto.verify does', (_name, craft) => {
    expect(outcomes(pair, message, rawSign(pair, craft(message)))).toEqual({ ours: false, openssl: false });
  });

  it('refuses random values below the modulus and zero, as crypto.verify does', () => {
    // A leading 00 keeps the random value below the modulus (above it, see the next case).
    const random = Array.from({ length: 20 }, () => Buffer.concat([Buffer.alloc(1), randomBytes(pair.bytes - 1)]));
    for (const signature of [...random, Buffer.alloc(pair.bytes)]) {
      expect(outcomes(pair, message, signature)).toEqual({ ours: false, openssl: false });
    }
  });

  it('throws for a value not below the modulus (the verifier answers BAD_SIGNATURE), where crypto.verify refuses', () => {
    const modulus = Buffer.from(pair.publicKey.export({ format: 'jwk' }).n!, 'base64url');
    for (const signature of [modulus, Buffer.alloc(pair.bytes, 0xff)]) {
      expect(outcomes(pair, message, signature)).toEqual({ ours: 'threw', openssl: false });
    }
  });

  it('refuses a signature one byte short, even one whose dropped byte was 00 (same number, wrong length)', () => {
    let text = message;
    let signature = sign('sha256', Buffer.from(text, 'latin1'), pair.privateKey);
    for (let i = 0; signature[0] !== 0 && i < 5000; i++) {
      text = `${message}${i}`;
      signature = sign('sha256', Buffer.from(text, 'latin1'), pair.privateKey);
    }
    expect(signature[0]).toBe(0);
    expect(outcomes(pair, text, signature.subarray(1))).toEqual({ ours: false, openssl: false });
    expect(outcomes(pair, text, Buffer.concat([signature, Buffer.alloc(1)]))).toEqual({ ours: false, openssl: false });
  });

  it('refuses a signing input that is not ASCII', () => {
    const text = `${message}é`;
    expect(rs256Check(pair.publicKey, pair.bytes)(text, sign('sha256', Buffer.from(text, 'utf8'), pair.privateKey))).toBe(false);
    expect(rs256Check(pair.publicKey, pair.bytes)(text, sign('sha256', Buffer.from(text, 'latin1'), pair.privateKey))).toBe(false);
  });
});

describe('RS256 keys as imported from a JWKS', () => {
  it.each([
    [2050, 65537],
    [2054, 3],
  ])('verifies with a %i-bit modulus and e = %i, as crypto.verify does', (bits, publicExponent) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent });
    const key = importVerifyKey({ ...publicKey.export({ format: 'jwk' }), kid: 'k', use: 'sig' } as JsonWebKey, new Set(['RS256']));
    if (typeof key === 'string') throw new Error(key);
    expect(key.signatureLength).toBe(Math.ceil(bits / 8));
    const text = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0';
    const signature = sign('sha256', Buffer.from(text), privateKey);
    expect(signature).toHaveLength(key.signatureLength);
    expect(key.check(text, signature)).toBe(true);
    expect(verify('sha256', Buffer.from(text), publicKey, signature)).toBe(true);
    const damaged = Buffer.from(signature);
    damaged[damaged.length - 1]! ^= 1;
    expect(key.check(text, damaged)).toBe(false);
  });
});

