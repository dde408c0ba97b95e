import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { repeatAfterEach, type Clock, type TimerHandle } from '@realchat/clock';
import { isUniqueViolation, type Database } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { Logger } from '@realchat/logging';
import type { AuthSettings, SigningAlg } from '../config.js';
import type { KeyEncryption } from '../crypto/key-encryption.js';
import { toSigningKey, type SigningKey } from '../crypto/jws.js';
import { KeyRepository, type KeyRow } from '../repositories/key.repository.js';

const generateKeyPair = promisify(generateKeyPairCb);

/** A public key as published in the JWKS. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

// Margin for clocks and for instances that reload the key set a little late.
const RETIREMENT_MARGIN_MS = 60_000;

async function generatePrivateKey(alg: SigningAlg): Promise<KeyObject> {
  switch (alg) {
    case 'RS256':
      return (await generateKeyPair('rsa', { modulusLength: 2048 })).privateKey;
    case 'ES256':
      return (await generateKeyPair('ec', { namedCurve: 'P-256' })).privateKey;
    case 'EdDSA':
      return (await generateKeyPair('ed25519')).privateKey;
  }
}

// Verifiers (@realchat/auth-verify) ignore smaller RSA keys: signing with one would refuse every token.
const MIN_RSA_BITS = 2048;

function algOf(key: KeyObject): SigningAlg {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new AppError('KEYS_UNAVAILABLE', `the RSA signing key has ${bits} bits; use at least ${MIN_RSA_BITS}`);
    return 'RS256';
  }
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (type === 'ed25519') return 'EdDSA';
  throw new AppError('KEYS_UNAVAILABLE', `unsupported signing key type ${String(type)} (use RSA, EC P-256 or Ed25519)`);
}

async function publicJwkOf(privateKey: KeyObject, alg: SigningAlg): Promise<PublicJwk> {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK & { kty: string };
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kid, alg, use: 'sig' };
}

/**
 * Owns the signing keys: generates the first one, keeps private keys encrypted at rest, rotates
 * (a new key is published `keyPublishLeadMs` before it signs; a retired key stays published until
 * every token it signed has expired) and serves the public set as a JWKS.
 */
export class KeyService {
  readonly #db: Database;
  readonly #encryption: KeyEncryption;
  readonly #settings: AuthSettings;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #repo = new KeyRepository();
  #rows: KeyRow[] = [];
  // One object per key set (verifiers in this process re-import keys whenever the object changes),
  // rebuilt after a change or when a retired key's publication ends.
  #published: { jwks: { keys: PublicJwk[] }; validUntilMs: number } | undefined;
  #signing: SigningKey | undefined;
  #staticKey: { signing: SigningKey; jwk: PublicJwk } | undefined;
  #timer: TimerHandle | undefined;

  constructor(deps: { db: Database; encryption: KeyEncryption; settings: AuthSettings; clock: Clock; logger: Logger }) {
    this.#db = deps.db;
    this.#encryption = deps.encryption;
    this.#settings = deps.settings;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  /** Loads the key set, creating the first key when there is none. */
  async init(): Promise<void> {
    const pem = this.#settings.signingKeyPem;
    if (pem !== undefined) {
      const privateKey = createPrivateKey(pem);
      const alg = algOf(privateKey);
      const jwk = await publicJwkOf(privateKey, alg);
      this.#staticKey = { signing: toSigningKey(jwk.kid, alg, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), jwk };
      this.#logger.info({ kid: jwk.kid, alg }, 'signing with the key from AUTH_SIGNING_KEY_PEM (no rotation)');
      return;
    }
    await this.maintain();
    if (this.#signing === undefined) {
      await this.#create('active');
      await this.maintain();
    }
  }

  /** Periodic work: promote a due next key, start a scheduled rotation, drop expired keys, reload. */
  async maintain(): Promise<void> {
    if (this.#staticKey !== undefined) return;
    const now = this.#clock.now();
    let rows = await this.#repo.listPublished(this.#db, now);
    const next = rows.find((r) => r.status === 'next');
    const active = rows.find((r) => r.status === 'active');
    let changed = false;
    if (next !== undefined && next.activatesAt.getTime() <= now.getTime()) {
      changed = await this.#db.transaction((tx) => this.#repo.promote(tx, next.kid, now, this.#retireUntil(now)));
      if (changed) this.#logger.info({ kid: next.kid, retired: active?.kid }, 'signing key activated');
    } else if (next === undefined && active !== undefined && active.activatesAt.getTime() + this.#settings.keyRotationIntervalMs <= now.getTime()) {
      await this.rotate();
      changed = true;
    }
    if ((await this.#repo.deleteUnpublished(this.#db, now)) > 0) changed = true;
    if (changed) rows = await this.#repo.listPublished(this.#db, now);
    this.#load(rows);
  }

  /** Introduces the next key (published now, signing after the publish lead); returns its kid. */
  async rotate(): Promise<string> {
    if (this.#staticKey !== undefined) throw new AppError('CONFLICT', 'keys from AUTH_SIGNING_KEY_PEM are not rotated here');
    const existing = (await this.#repo.listPublished(this.#db, this.#clock.now())).find((r) => r.status === 'next');
    if (existing !== undefined) return existing.kid;
    await this.#create('next');
    // Another instance may have introduced its own at the same moment: the stored one wins.
    const rows = await this.#repo.listPublished(this.#db, this.#clock.now());
    this.#load(rows);
    const next = rows.find((r) => r.status === 'next');
    if (next === undefined) throw new AppError('KEYS_UNAVAILABLE', 'the next signing key was not stored');
    return next.kid;
  }

  /** Runs maintain() every `keyReloadIntervalMs` by the clock, each run after the last one ended. */
  startSchedule(): void {
    this.#timer ??= repeatAfterEach(this.#clock, this.#settings.keyReloadIntervalMs, () => this.maintain(), (err) => this.#logger.warn({ err }, 'signing key maintenance failed; retrying later'));
  }

  stopSchedule(): void {
    this.#timer?.clear();
    this.#timer = undefined;
  }

  /** The key that signs now. */
  signingKey(): SigningKey {
    const key = this.#staticKey?.signing ?? this.#signing;
    if (key === undefined) throw new AppError('KEYS_UNAVAILABLE', 'no active signing key');
    return key;
  }

  /** The public keys that verifiers must know now: next, active and not yet expired retired keys. */
  jwks(): { keys: PublicJwk[] } {
    const now = this.#clock.now().getTime();
    if (this.#published !== undefined && now < this.#published.validUntilMs) return this.#published.jwks;
    if (this.#staticKey !== undefined) {
      this.#published = { jwks: { keys: [this.#staticKey.jwk] }, validUntilMs: Infinity };
      return this.#published.jwks;
    }
    const rows = this.#rows.filter((r) => r.status !== 'retired' || (r.publishUntil !== null && r.publishUntil.getTime() > now));
    const validUntilMs = Math.min(Infinity, ...rows.filter((r) => r.status === 'retired').map((r) => r.publishUntil?.getTime() ?? Infinity));
    this.#published = { jwks: { keys: rows.map((r) => r.publicJwk as PublicJwk) }, validUntilMs };
    return this.#published.jwks;
  }

  /** How long verifiers may cache the JWKS: well under the publish lead, so they see a next key before it signs. */
  jwksMaxAgeSeconds(): number {
    return Math.max(0, Math.min(300, Math.floor(this.#settings.keyPublishLeadMs / 2000)));
  }

  #retireUntil(now: Date): Date {
    return new Date(now.getTime() + this.#settings.accessTokenTtlMs + this.#settings.keyReloadIntervalMs + RETIREMENT_MARGIN_MS);
  }

  #load(rows: KeyRow[]): void {
    // A periodic reload that finds the same keys keeps the published set (and its identity).
    const fingerprint = (list: KeyRow[]): string => list.map((r) => `${r.kid}:${r.status}:${r.publishUntil?.getTime() ?? ''}`).join(',');
    if (fingerprint(rows) !== fingerprint(this.#rows)) {
      this.#rows = rows;
      this.#published = undefined;
    }
    const active = rows.find((r) => r.status === 'active');
    if (active !== undefined && active.kid !== this.#signing?.kid) {
      this.#signing = toSigningKey(active.kid, active.alg, this.#encryption.decrypt(active.privateKeyEnc, active.kid));
    }
  }

  async #create(status: 'next' | 'active'): Promise<string> {
    const alg = this.#settings.signingAlg;
    const privateKey = await generatePrivateKey(alg);
    const publicJwk = await publicJwkOf(privateKey, alg);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const now = this.#clock.now();
    try {
      await this.#repo.insert(this.#db, {
        kid: publicJwk.kid,
        alg,
        publicJwk,
        privateKeyEnc: this.#encryption.encrypt(pem, publicJwk.kid),
        status,
        createdAt: now,
        activatesAt: status === 'active' ? now : new Date(now.getTime() + this.#settings.keyPublishLeadMs),
      });
    } catch (err) {
      // Another instance created the first active key, or the next one, at the same moment: use theirs.
      if (isUniqueViolation(err)) return publicJwk.kid;
      throw err;
    }
    this.#logger.info({ kid: publicJwk.kid, alg, status }, 'signing key generated');
    return publicJwk.kid;
  }
}
