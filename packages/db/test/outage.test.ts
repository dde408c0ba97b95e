import { createServer, type Server, type Socket } from 'node:net';
import { AppError } from '@realchat/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type Database } from '../src/index.js';
import { createTcpProxy, createTestDatabase, type TcpProxy, type TestDatabase } from '../src/testing.js';

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('DATABASE_UNAVAILABLE');
  expect((err as AppError).status).toBe(503);
  expect((err as AppError).cause).toBeDefined();
}

describe('postgres outage through a TCP proxy', () => {
  let target: TestDatabase;
  let proxy: TcpProxy;
  let db: Database;

  beforeAll(async () => {
    target = await createTestDatabase('postgres');
    const url = new URL(target.url ?? '');
    proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    db = createPostgresDatabase({ url: url.toString(), max: 3, connectionTimeoutMs: 500 });
    await db.query('create table t (id int primary key)');
  });
  afterAll(async () => {
    await db.close();
    await proxy.close();
    await target.close();
  });

  it('fails with DATABASE_UNAVAILABLE while the server is gone, without crashing, and recovers by itself', async () => {
    // Open several pooled connections so idle ones are cut while idle.
    await Promise.all([db.query('select pg_sleep(0.05)'), db.query('select pg_sleep(0.05)'), db.query('select 1')]);

    await proxy.stop();
    await expectUnavailable(db.query('select 1'));
    await expectUnavailable(db.ping());
    await expectUnavailable(db.transaction((tx) => tx.query('insert into t values (1)')));

    await proxy.start();
    await expect(db.ping()).resolves.toBeUndefined();
    await db.transaction((tx) => tx.query('insert into t values (2)'));
    const { rows } = await db.query<{ id: number }>('select id from t order by id');
    expect(rows).toEqual([{ id: 2 }]);
  });

  it('maps a connection cut in the middle of a transaction', async () => {
    const err = db.transaction(async (tx) => {
      await tx.query('insert into t values (3)');
      await proxy.stop();
      await tx.query('insert into t values (4)');
    });
    await expectUnavailable(err);
    await proxy.start();
    const { rowCount } = await db.query('select 1 from t where id in (3, 4)');
    expect(rowCount).toBe(0);
  });
});

describe('postgres that accepts connections but never answers', () => {
  let silent: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    port = address !== null && typeof address === 'object' ? address.port : 0;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('fails fast after the connection timeout instead of hanging', async () => {
    const db = createPostgresDatabase({ url: `postgres://postgres@127.0.0.1:${port}/x`, connectionTimeoutMs: 200 });
    try {
      const started = Date.now();
      await expectUnavailable(db.query('select 1'));
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await db.close();
    }
  });

  it('fails with DATABASE_UNAVAILABLE for an unknown host', async () => {
    const db = createPostgresDatabase({ url: 'postgres://postgres@nonexistent.invalid:5432/x', connectionTimeoutMs: 500 });
    try {
      await expectUnavailable(db.ping());
    } finally {
      await db.close();
    }
  });
});
