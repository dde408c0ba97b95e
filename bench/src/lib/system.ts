/**
 * The real system for the end-to-end benches (chat, forum): `realchat start` (every service and the
 * gateway in one process, as `npm start` runs it) or the distributed deployment (auth, each
 * service's built `dist/server.js` and the gateway as their own processes), each on its own
 * PostgreSQL database, Redis key prefix and private nats-server, so nothing is shared with the
 * tests or with another bench running beside it. Plus the few REST helpers the benches share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { freePort } from '../http/server-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'apps/cli/bin/realchat.js');
const NATS_SERVER = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';
const REDIS_URL = 'redis://127.0.0.1:6379';

/** Polls `predicate` every 100 ms until it holds; throws after `timeoutMs`. */
export async function until(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`${what}: not ready in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = tcpConnect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Resolves once `child` has exited (at once when it has already). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited(child);
}

/** A private nats-server (JetStream in a temporary folder): nothing is left in the machine's own. */
export async function startNats(): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-nats-'));
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  await until(() => portOpen(port), 10_000, 'nats-server');
  return {
    url: `127.0.0.1:${port}`,
    async close() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type SystemKind = 'pglite' | 'postgres';

/** The close of every system still up: a bench stopped by Ctrl-C or `timeout` leaves no process behind. */
const running = new Set<() => Promise<void>>();
let signalsHandled = false;

function track(close: () => Promise<void>): () => Promise<void> {
  if (!signalsHandled) {
    signalsHandled = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        void Promise.allSettled([...running].map((c) => c())).then(() => process.exit(130));
      });
    }
  }
  let closing: Promise<void> | undefined;
  const once = (): Promise<void> => {
    running.delete(once);
    return (closing ??= close());
  };
  running.add(once);
  return once;
}

/** A running system under test, reached through its gateway at `url`. */
export interface System {
  readonly name: string;
  readonly url: string;
  /** The process that answers `url`: the whole system when embedded, the gateway when distributed. */
  readonly pid: number;
  /** Every process of the system, by role, with the address it listens on. */
  readonly processes: ReadonlyArray<{ readonly name: string; readonly pid: number; readonly url: string }>;
  /** The system's PostgreSQL database (undefined on PGlite). */
  readonly db: TestDatabase | undefined;
  close(): Promise<void>;
}

export interface SystemOptions {
  /** Variables on top of the bench defaults (the bench's own limits, e.g. a send rate). */
  readonly env?: NodeJS.ProcessEnv;
  /** Starts Node with `--cpu-prof` writing `<name>.cpuprofile` (per process when distributed) into `dir`. */
  readonly profile?: { readonly dir: string; readonly name: string };
}

/** What every bench system gets: quiet logs, cheap bcrypt, and no per-client limits (every bench client is on 127.0.0.x). */
function benchEnv(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH_BCRYPT_COST: '4',
    AUTH_KEY_PUBLISH_LEAD: '0s',
    AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTH_LOGIN_IP_LIMIT: '1000000',
    AUTH_REGISTER_IP_LIMIT: '1000000',
    GATEWAY_RATE_LIMIT_IP: 'off',
    GATEWAY_RATE_LIMIT_USER: 'off',
    ...extra,
  };
}

/** PostgreSQL (a database of its own), Redis (a key prefix of its own) and a private NATS. */
async function startBackends(tag: string): Promise<{ db: TestDatabase; env: NodeJS.ProcessEnv; close(): Promise<void> }> {
  const id = randomBytes(4).toString('hex');
  const db = await createTestDatabase('postgres', { max: 2 });
  const nats = await startNats().catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  return {
    db,
    env: { DATABASE_URL: db.url!, REDIS_URL, REDIS_PREFIX: `bench:${tag}:${id}:`, NATS_URL: nats.url, NATS_STREAM: `BENCH_${tag.toUpperCase()}_${id}`, NATS_SUBJECT_PREFIX: `bench_${tag}_${id}` },
    async close() {
      await db.close();
      await nats.close();
    },
  };
}

function nodeArgs(options: SystemOptions, suffix: string): string[] {
  if (options.profile === undefined) return ['--enable-source-maps'];
  mkdirSync(options.profile.dir, { recursive: true });
  return ['--enable-source-maps', '--cpu-prof', `--cpu-prof-dir=${options.profile.dir}`, `--cpu-prof-name=${options.profile.name}${suffix}.cpuprofile`];
}

async function waitHttp(url: string, path: string, child: ChildProcess, what: string, ready: (res: Response) => Promise<boolean> = async (res) => res.status === 200): Promise<void> {
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const res = await fetch(`${url}${path}`).catch(() => undefined);
    return res !== undefined && (await ready(res));
  }, 60_000, what);
}

/**
 * `realchat start` as its own process: on PGlite (a temporary DATA_DIR, the `npm start` defaults),
 * or on PostgreSQL + Redis + NATS.
 */
export async function startSystem(kind: SystemKind, options: SystemOptions = {}): Promise<System> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-bench-system-'));
  const backends = kind === 'postgres' ? await startBackends('sys') : undefined;
  const env = benchEnv({ PORT: String(port), DATA_DIR: dataDir, ...backends?.env, ...options.env });
  const child = spawn(process.execPath, [...nodeArgs(options, ''), BIN, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const close = track(async () => {
    await stop(child);
    await backends?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  try {
    await waitHttp(url, '/readyz', child, `realchat start (${kind})`);
  } catch (err) {
    await close();
    throw err;
  }
  return { name: kind === 'postgres' ? 'Postgres' : 'PGlite', url, pid: child.pid!, processes: [{ name: 'realchat start', pid: child.pid!, url }], db: backends?.db, close };
}

/**
 * The distributed deployment: one auth process, one process per service in `services` (its built
 * `services/<name>/dist/server.js`, e.g. `['forum', 'notifications']`) and the gateway, each
 * announcing itself in Redis, on PostgreSQL and a private NATS JetStream. Resolves once the
 * gateway has found an instance of every one of them.
 */
export async function startDistributed(services: readonly string[], options: SystemOptions = {}): Promise<System> {
  const backends = await startBackends('dist');
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const shared = benchEnv({ ...backends.env, AUTH_ISSUER: gatewayUrl, ...options.env });
  const children: Array<{ name: string; url: string; child: ChildProcess }> = [];
  const close = track(async () => {
    // The gateway first, auth last: no service is left without the keys it verifies with.
    for (const { child } of [...children].reverse()) await stop(child);
    await backends.close();
  });
  const spawnService = async (name: string, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> => {
    const port = name === 'gateway' ? gatewayPort : await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [...nodeArgs(options, `-${name}`), join(ROOT, `services/${name}/dist/server.js`)], {
      cwd: ROOT,
      env: { ...shared, ...env, PORT: String(port), ...(name === 'gateway' ? {} : { ANNOUNCE_URL: url }) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push({ name, url, child });
    await waitHttp(url, '/healthz', child, name);
    return { url, child };
  };
  try {
    // Auth first and alone: it creates its schema and the first signing key.
    const auth = await spawnService('auth', {});
    const keys = { AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`, AUTH_INTERNAL_URL: auth.url };
    for (const name of services) await spawnService(name, keys);
    const gateway = await spawnService('gateway', { ...keys, GATEWAY_DISCOVERY_INTERVAL: '200ms', GATEWAY_HEALTH_INTERVAL: '1s' });
    await waitHttp(gatewayUrl, '/readyz', gateway.child, 'gateway (every service found)', async (res) => {
      const body = (await res.json().catch(() => ({}))) as { checks?: { upstreams?: { services?: Record<string, { available: number }> } } };
      const found = body.checks?.upstreams?.services ?? {};
      return ['auth', ...services].every((name) => (found[name]?.available ?? 0) > 0);
    });
  } catch (err) {
    await close();
    throw err;
  }
  return {
    name: 'distributed',
    url: gatewayUrl,
    pid: children.at(-1)!.child.pid!,
    processes: children.map(({ name, url, child }) => ({ name, pid: child.pid!, url })),
    db: backends.db,
    close,
  };
}

// ---------------------------------------------------------------- REST

/** One JSON call; `token` null for an anonymous one. */
export async function api<T>(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

/**
 * Repeats `call` until it answers one of `ok` (up to 50 times, 100 ms apart): a service learns new
 * users from auth's events a moment after registration.
 */
export async function expectStatus<T>(call: () => Promise<{ status: number; body: T }>, ok: readonly number[], what: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await call();
    if (ok.includes(res.status)) return res.body;
    if (attempt >= 50) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Registers and signs in a user through the gateway. */
export async function signUp(base: string, email: string, displayName: string, password: string): Promise<{ id: string; token: string }> {
  const { id } = await expectStatus(() => api<{ id: string }>(base, null, 'POST', '/auth/register', { email, password, displayName }), [201], 'register');
  const { access_token: token } = await expectStatus(() => api<{ access_token: string }>(base, null, 'POST', '/auth/login', { email, password }), [200], 'login');
  return { id, token };
}

/** `fn(0 … count-1)` with at most `concurrency` calls in flight; results in index order. */
export async function inParallel<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** The `q` quantile (0–1) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
