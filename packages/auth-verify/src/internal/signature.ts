import { constants, createVerify, hash, publicDecrypt, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { MAX_TOKEN_LENGTH } from './jws.js';

/**
 * Checks a JWS signature over the signing input, which is ASCII (base64url and a dot; any other
 * input is refused); may throw on a malformed signature.
 */
export type SignatureCheck = (signingInput: string, signature: Buffer) => boolean;

/** True when every character is ASCII: a string's bytes then read the same in UTF-8 and latin1. */
function isAscii(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') === text.length;
}

/** DER of the DigestInfo prefix for SHA-256 with NULL parameters (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const SHA256_BYTES = 32;

/**
 * RSASSA-PKCS1-v1_5 with SHA-256 by the encode-and-compare method of RFC 8017 §8.2.2: OpenSSL
 * performs the RSA public operation (refusing s ≥ n), and the recovered block must equal, byte
 * for byte, the one block a signer could have produced, 00 01 FF…FF 00 DigestInfo H. Nothing is
 * parsed, so none of the padding-parsing forgeries apply; it accepts exactly the signatures
 * `crypto.verify` accepts (test/signature.test.ts holds it to that) while skipping the per-call
 * context set-up of OpenSSL 3's EVP_DigestVerify: 1 µs of a 22 µs verify on the bench machine.
 */
export function rs256Check(key: KeyObject, modulusBytes: number): SignatureCheck {
  const prefixLength = modulusBytes - SHA256_BYTES;
  const prefix = Buffer.alloc(prefixLength, 0xff);
  prefix[0] = 0x00;
  prefix[1] = 0x01;
  prefix[prefixLength - SHA256_DIGEST_INFO.length - 1] = 0x00;
  SHA256_DIGEST_INFO.copy(prefix, prefixLength - SHA256_DIGEST_INFO.length);
  const raw = { key, padding: constants.RSA_NO_PADDING };
  return (signingInput, signature) => {
    // OpenSSL takes a shorter value without padding; RSASSA-PKCS1-v1_5 does not (RFC 8017 §8.2.2 step 1).
    if (signature.length !== modulusBytes || !isAscii(signingInput)) return false;
    const block = publicDecrypt(raw, signature);
    return (
      block.length === modulusBytes &&
      block.compare(prefix, 0, prefixLength, 0, prefixLength) === 0 &&
      // Compared as hex strings: Node returns a digest string faster than a Buffer.
      hash('sha256', signingInput, 'hex') === block.toString('hex', prefixLength)
    );
  };
}

/** ES256: JWS carries the signature as raw r||s, not DER. */
export function es256Check(key: KeyObject): SignatureCheck {
  const options = { key, dsaEncoding: 'ieee-p1363' as const };
  // A Verify object fed the ASCII signing input as latin1 saves copying it into a Buffer first.
  return (signingInput, signature) => isAscii(signingInput) && createVerify('sha256').update(signingInput, 'latin1').verify(options, signature);
}

// Safe to share: each check writes and reads it within one synchronous call.
const inputScratch = Buffer.allocUnsafe(MAX_TOKEN_LENGTH);

/** Ed25519 has no Verify object: the signing input goes through a reused buffer. */
export function eddsaCheck(key: KeyObject): SignatureCheck {
  return (signingInput, signature) => {
    if (signingInput.length > inputScratch.length || !isAscii(signingInput)) return false;
    const length = inputScratch.write(signingInput, 0, 'latin1');
    return cryptoVerify(null, inputScratch.subarray(0, length), key, signature);
  };
}
