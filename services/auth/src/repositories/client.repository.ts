import type { Queryable } from '@realchat/db';

export interface ClientRow {
  readonly id: string;
  readonly name: string;
  readonly secretHash: Buffer;
  readonly scopes: string[];
  readonly createdAt: Date;
}

export class ClientRepository {
  async insert(q: Queryable, client: ClientRow): Promise<void> {
    await q.query('insert into auth.oauth_clients (id, name, secret_hash, scopes, created_at) values ($1, $2, $3, $4, $5)', [
      client.id,
      client.name,
      client.secretHash,
      client.scopes,
      client.createdAt,
    ]);
  }

  /** Every live client with its secret hash: the set an instance authenticates from. */
  async listLive(q: Queryable): Promise<ClientRow[]> {
    const { rows } = await q.query<Omit<ClientRow, 'secretHash'> & { secretHash: Uint8Array }>(
      'select id, name, secret_hash as "secretHash", scopes, created_at as "createdAt" from auth.oauth_clients where revoked_at is null',
    );
    return rows.map((row) => ({ ...row, secretHash: Buffer.from(row.secretHash) }));
  }

  async list(q: Queryable): Promise<Array<Omit<ClientRow, 'secretHash'>>> {
    const { rows } = await q.query<Omit<ClientRow, 'secretHash'>>(
      'select id, name, scopes, created_at as "createdAt" from auth.oauth_clients where revoked_at is null order by created_at',
    );
    return rows;
  }

  async revoke(q: Queryable, id: string, at: Date): Promise<boolean> {
    const { rowCount } = await q.query('update auth.oauth_clients set revoked_at = $2 where id = $1 and revoked_at is null', [id, at]);
    return rowCount === 1;
  }
}
