import type { JWK } from 'jose';
import type { Queryable } from '@realchat/db';
import type { SigningAlg } from '../config.js';

export interface KeyRow {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: JWK;
  readonly privateKeyEnc: string;
  readonly status: 'next' | 'active' | 'retired';
  readonly createdAt: Date;
  readonly activatesAt: Date;
  readonly publishUntil: Date | null;
}

const COLUMNS = `kid, alg, public_jwk as "publicJwk", private_key_enc as "privateKeyEnc", status, created_at as "createdAt",
  activates_at as "activatesAt", publish_until as "publishUntil"`;

export class KeyRepository {
  async listPublished(q: Queryable, now: Date): Promise<KeyRow[]> {
    const { rows } = await q.query<KeyRow>(
      `select ${COLUMNS} from auth.signing_keys where status <> 'retired' or publish_until > $1 order by created_at`,
      [now],
    );
    return rows;
  }

  async insert(q: Queryable, key: Omit<KeyRow, 'publishUntil'>): Promise<void> {
    await q.query(
      `insert into auth.signing_keys (kid, alg, public_jwk, private_key_enc, status, created_at, activates_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeyEnc, key.status, key.createdAt, key.activatesAt],
    );
  }

  /** Retires the active key and activates `kid`, if `kid` is still the next key. */
  async promote(q: Queryable, kid: string, at: Date, retiredPublishUntil: Date): Promise<boolean> {
    const { rows } = await q.query<{ kid: string }>(`select kid from auth.signing_keys where kid = $1 and status = 'next' for update`, [kid]);
    if (rows.length === 0) return false;
    await q.query(`update auth.signing_keys set status = 'retired', retired_at = $1, publish_until = $2 where status = 'active'`, [at, retiredPublishUntil]);
    await q.query(`update auth.signing_keys set status = 'active', activates_at = $2 where kid = $1`, [kid, at]);
    return true;
  }

  async deleteUnpublished(q: Queryable, now: Date): Promise<number> {
    const { rowCount } = await q.query(`delete from auth.signing_keys where status = 'retired' and publish_until <= $1`, [now]);
    return rowCount;
  }
}
