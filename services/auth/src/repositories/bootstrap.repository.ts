import type { Queryable } from '@realchat/db';

/** The record that makes AUTH_BOOTSTRAP_ADMIN_EMAIL a one-time grant (see migration 003). */
export class BootstrapRepository {
  /** Records the first start-up that saw `email` (kept if already there) and returns that instant. */
  async arm(q: Queryable, email: string, at: Date): Promise<Date> {
    await q.query('insert into auth.bootstrap_admin (email, armed_at) values ($1, $2) on conflict (email) do nothing', [email, at]);
    const { rows } = await q.query<{ armedAt: Date }>('select armed_at as "armedAt" from auth.bootstrap_admin where email = $1', [email]);
    const row = rows[0];
    if (row === undefined) throw new Error('bootstrap_admin row vanished');
    return row.armedAt;
  }

  async wasGranted(q: Queryable): Promise<boolean> {
    const { rows } = await q.query('select 1 from auth.bootstrap_admin where granted_at is not null');
    return rows.length > 0;
  }

  /** Throws a unique violation when another grant was recorded meanwhile. */
  async markGranted(q: Queryable, email: string, userId: string, at: Date): Promise<void> {
    await q.query('update auth.bootstrap_admin set granted_user_id = $2, granted_at = $3 where email = $1', [email, userId, at]);
  }
}
