import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { createPGliteDatabase } from './pglite.js';
import { createPostgresDatabase, type PostgresDatabaseOptions } from './postgres.js';
import type { Database } from './types.js';

/** Both engines, for `describe.each(testDatabaseKinds)`. */
export const testDatabaseKinds = ['postgres', 'pglite'] as const;
export type TestDatabaseKind = (typeof testDatabaseKinds)[number];

/** A throw-away database; `close()` also deletes it. */
export type TestDatabase = Database & { readonly name: string; readonly url: string | undefined };

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function adminUrl(): string {
  // Tests may read the environment; services take config from their server.ts.
  return process.env['TEST_DATABASE_ADMIN_URL'] ?? DEFAULT_ADMIN_URL;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the test server. */
export function testDatabaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A fresh, empty database: on PostgreSQL a new database `rc_t_<random>` (dropped by `close()`),
 * on PGlite an in-memory instance.
 */
export async function createTestDatabase(
  kind: TestDatabaseKind,
  options: Omit<PostgresDatabaseOptions, 'url'> = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await createPGliteDatabase();
    return Object.assign(db, { name: 'pglite:memory', url: undefined });
  }
  const name = `rc_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${name}`));
  const url = testDatabaseUrl(name);
  const db = createPostgresDatabase({ ...options, url, max: options.max ?? 4 });
  return {
    ...db,
    name,
    url,
    async close(): Promise<void> {
      await db.close();
      // WITH (FORCE) terminates connections a test left behind (e.g. through a proxy).
      await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** A TCP forwarder to simulate a database or broker outage without touching the real server. */
export interface TcpProxy {
  readonly port: number;
  /** Closes the listener and cuts every open connection: clients see the server vanish. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a TCP proxy on 127.0.0.1 (random port) forwarding to `target`. */
export async function createTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const next = createServer((inbound) => {
        const outbound = connect(target.port, target.host);
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            inbound.destroy();
            outbound.destroy();
          });
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        const address = next.address();
        if (address !== null && typeof address === 'object') port = address.port;
        server = next;
        resolve();
      });
    });

  const stop = async (): Promise<void> => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    stop,
    start: listen,
    close: stop,
  };
}
