import { randomBytes } from 'node:crypto';

export const PASSWORD = 'correct horse battery';
let counter = 0;
/** An email no other test of the run uses. */
export const uniqueEmail = (): string => `u${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}@example.com`;

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly token: string;
  readonly sessionId: string;
}

interface Base {
  readonly base: string;
}

/** A JSON call through the gateway as `user`; the status, the parsed body (null when empty) and the headers. */
export async function call<T = unknown>(h: Base, user: Pick<TestUser, 'token'> | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['authorization'] = `Bearer ${user.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T, headers: res.headers };
}

/** Signs in; `userAgent` is the device as auth sees it. */
export async function login(h: Base, email: string, userAgent = 'test-agent'): Promise<{ token: string; sessionId: string }> {
  const res = await fetch(`${h.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': userAgent }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { access_token: token } = (await res.json()) as { access_token: string };
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sid: string };
  return { token, sessionId: claims.sid };
}

/** Registers and signs in a user through the gateway. */
export async function signUp(h: Base, displayName = 'Ada'): Promise<TestUser> {
  const email = uniqueEmail();
  const reg = await call<{ id: string }>(h, null, 'POST', '/auth/register', { email, password: PASSWORD, displayName });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  return { id: reg.body.id, email, displayName, ...(await login(h, email)) };
}

/** `user` made ADMIN in auth's table, signed in again for a token that says so. */
export async function promote(h: Base & { readonly db: { query(sql: string, params: unknown[]): Promise<unknown> } }, user: TestUser): Promise<TestUser> {
  await h.db.query(`update auth.users set roles = array['ADMIN', 'STUDENT'] where id = $1`, [user.id]);
  return { ...user, ...(await login(h, user.email)) };
}
