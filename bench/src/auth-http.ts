/**
 * Auth over HTTP (issue 2): refresh-token rotations per second, login latency against one bare
 * bcrypt.compare, unknown-email vs wrong-password timing, and /auth/me latency while logins are
 * flooded; on PostgreSQL (+ Redis) and on PGlite, in one run. The load comes from child
 * processes (see http/load.ts), the server runs here.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { createAuthService, toAuthSettings, AuthEnvSchema, type AuthSettings, type SigningAlg } from '@realchat/auth';
import { createServiceHost, RuntimeEnvSchema } from '@realchat/runtime';
import { createInProcessBus } from '@realchat/bus';
import { systemClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { createPGliteDatabase, type Database } from '@realchat/db';
import { createTestDatabase } from '@realchat/db/testing';
import { createHttpApp } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { printTable, reproduce, writeResult, type Row } from './lib/report.js';
import type { AutocannonSummary, JobRequest } from './http/load-job.js';
import { ownCpuMs, parentPid, processTreeCpuMs } from './http/cpu.js';
import { autocannonRun, probeRun } from './http/load.js';
import { latenciesOf, ms, summarise, type LatencySummary } from './http/stats.js';

const COMMAND = 'npm run -w @realchat/bench auth';
const PASSWORD = 'correct horse battery staple';
const POOL_SIZE = 10; // DATABASE_POOL_SIZE's default
const REFRESH_CONNECTIONS = 32;
const REFRESH_CHAINS = 48; // more chains than connections: a connection never waits for a token
const REFRESH_SECONDS = 4;
const REFRESH_ROUNDS = 3;
const LOGIN_SAMPLES = 20;
const TIMING_PAIRS = 20;
const ME_RATE = 250;
const ME_SAMPLES = 1500;
const FLOOD_CONNECTIONS = 16;
/** Unloaded and flooded runs alternate this many times: a p99 of 1,500 requests moves by ±50 % from run to run here. */
const FLOOD_ROUNDS = 3;
/** Keycloak's published sizing guide: about 120 refresh-token grants per second per vCPU. */
const KEYCLOAK_REFRESH_PER_VCPU = 120;
const VCPUS = 2;
const REFRESH_GOAL = 1000;

type EngineKind = 'postgres' | 'pglite';

interface Engine {
  readonly db: Database;
  readonly store: KeyValueStore;
  /** CPU (ms) used so far by the database server's processes; NaN for PGlite (it runs in this process). */
  readonly databaseCpuMs: () => number;
  close(): Promise<void>;
}

/** A fresh isolated database: `rc_t_<random>` on the local PostgreSQL (dropped after), or PGlite in a temp folder. */
async function openEngine(kind: EngineKind): Promise<Engine> {
  if (kind === 'postgres') {
    const db = await createTestDatabase('postgres', { max: POOL_SIZE });
    const store = createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: `bench:auth:${randomBytes(4).toString('hex')}:` });
    // The postmaster is the parent of every backend: its tree is all of PostgreSQL's CPU.
    const { rows } = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
    const postmaster = parentPid(rows[0]!.pid);
    return {
      db,
      store,
      databaseCpuMs: () => (postmaster === undefined ? Number.NaN : processTreeCpuMs(postmaster)),
      close: async () => (await store.close(), await db.close()),
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'rc-bench-pglite-'));
  const db = await createPGliteDatabase({ dataDir: dir });
  const store = createMemoryStore();
  return { db, store, databaseCpuMs: () => Number.NaN, close: async () => (await store.close(), await db.close(), await rm(dir, { recursive: true, force: true })) };
}

/** Production defaults (bcrypt cost 12), except login limits: the bench logs in far more often than a person. */
function benchSettings(signingAlg: SigningAlg, bcryptNice?: number): AuthSettings {
  const defaults = toAuthSettings(loadConfig(AuthEnvSchema, {}));
  return {
    ...defaults,
    bcryptNice: bcryptNice ?? defaults.bcryptNice,
    signingAlg,
    loginIpLimitPerMinute: 1_000_000,
    loginFailureLimit: 1_000_000,
    loginAccountFailureLimit: 1_000_000,
  };
}

async function startServer(engine: Engine, signingAlg: SigningAlg, bcryptNice?: number): Promise<{ url: string; close(): Promise<void> }> {
  const bus = createInProcessBus();
  const host = await createServiceHost({
    definitions: [createAuthService({ settings: () => benchSettings(signingAlg, bcryptNice), keyEncryptionKey: randomBytes(32) })],
    engines: { db: engine.db, bus, store: engine.store, clock: systemClock, logger: silentLogger, embeddedDataDir: undefined },
    env: loadConfig(RuntimeEnvSchema, {}),
  });
  const app = createHttpApp({ logger: silentLogger });
  await host.register(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  await host.start();
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      await host.stop();
      await bus.close();
    },
  };
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
}

async function post<T>(url: string, path: string, body: unknown, expect: number): Promise<T> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== expect) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** `n` logins, at most `concurrency` at a time (bcrypt runs on libuv's 4 threads). */
async function loginMany(url: string, email: string, n: number, concurrency = 4): Promise<TokenResponse[]> {
  const out: TokenResponse[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        out.push(await post<TokenResponse>(url, '/auth/login', { email, password: PASSWORD }, 200));
      }
    }),
  );
  return out;
}

const loginRequest = (email: string, password: string, tag: string): JobRequest => ({
  method: 'POST',
  path: '/auth/login',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password }),
  tag,
});

interface EngineFigures extends FloodFigures {
  readonly refresh: AutocannonSummary;
  /** CPU per rotation of this process (HTTP, service, signing; PGlite too when embedded) and of PostgreSQL. */
  readonly refreshCpuUs: { readonly server: number; readonly database: number };
  readonly login: LatencySummary;
  readonly unknownEmail: LatencySummary;
  readonly wrongPassword: LatencySummary;
}

interface FloodFigures {
  /** Medians over the rounds of each round's p50 and p99. */
  readonly meUnloaded: LatencySummary;
  readonly meFlooded: LatencySummary;
  /** Each round's flooded p99 over its unloaded p99. */
  readonly roundRatios: readonly number[];
  readonly flood: AutocannonSummary;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Several runs' summaries as one: the median of their p50s and of their p99s. */
const medianOfRuns = (runs: readonly LatencySummary[]): LatencySummary => ({
  n: runs.reduce((sum, r) => sum + r.n, 0),
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  mean: runs.reduce((sum, r) => sum + r.mean * r.n, 0) / Math.max(1, runs.reduce((sum, r) => sum + r.n, 0)),
  max: Math.max(...runs.map((r) => r.max)),
});

/**
 * Rotations over HTTP: each connection spends a token and puts its successor back (see
 * http/load-job.ts). Best of a few rounds: noise from other work on the machine only slows a run down.
 */
async function measureRefresh(url: string, email: string, engine: Engine): Promise<{ refresh: AutocannonSummary; refreshCpuUs: EngineFigures['refreshCpuUs'] }> {
  let chains: string[] = [];
  let best: { refresh: AutocannonSummary; refreshCpuUs: EngineFigures['refreshCpuUs'] } | undefined;
  for (let round = 0; round < REFRESH_ROUNDS; round++) {
    // Chains whose request was in flight when a run stopped are lost: top up with fresh sessions.
    chains.push(...(await loginMany(url, email, REFRESH_CHAINS - chains.length)).map((t) => t.refresh_token));
    const cpu0 = { server: ownCpuMs(), database: engine.databaseCpuMs() };
    const refresh = await autocannonRun({
      url,
      request: { method: 'POST', path: '/auth/refresh', headers: { 'content-type': 'application/json' } },
      connections: REFRESH_CONNECTIONS,
      durationSec: REFRESH_SECONDS,
      refreshChains: chains,
    });
    const perRotation = (ms: number): number => (ms * 1000) / Math.max(1, refresh.completed);
    const refreshCpuUs = { server: perRotation(ownCpuMs() - cpu0.server), database: perRotation(engine.databaseCpuMs() - cpu0.database) };
    console.log(`  round ${round + 1}: ${Math.round(refresh.rps)} rotations/s, ${refresh.non2xx + refresh.errors} failed`);
    if (best === undefined || refresh.rps > best.refresh.rps) best = { refresh, refreshCpuUs };
    chains = [...(refresh.chains ?? [])];
  }
  return best!;
}

async function withServer<T>(kind: EngineKind, signingAlg: SigningAlg, fn: (url: string, email: string, engine: Engine) => Promise<T>, bcryptNice?: number): Promise<T> {
  console.log(`\n[${kind}, ${signingAlg}] starting auth (bcrypt cost 12${bcryptNice === undefined ? '' : `, AUTH_BCRYPT_NICE=${bcryptNice}`}) on ${kind === 'postgres' ? 'PostgreSQL 127.0.0.1:5432 + Redis' : 'PGlite in a temp folder + memory store'}...`);
  const engine = await openEngine(kind);
  const server = await startServer(engine, signingAlg, bcryptNice);
  try {
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    await post(server.url, '/auth/register', { email, password: PASSWORD, displayName: 'Bench' }, 201);
    return await fn(server.url, email, engine);
  } finally {
    await server.close();
    await engine.close();
  }
}

const measureEngine = (kind: EngineKind): Promise<EngineFigures> =>
  withServer(kind, 'RS256', async (url, email, engine) => {
    console.log(`[${kind}] login latency (${LOGIN_SAMPLES} sequential logins), unknown email vs wrong password (${TIMING_PAIRS} pairs)...`);
    const logins = await probeRun({ url, requests: [loginRequest(email, PASSWORD, 'login')], count: LOGIN_SAMPLES });
    const timing = await probeRun({
      url,
      requests: [loginRequest(`nobody-${randomBytes(4).toString('hex')}@example.com`, PASSWORD, 'unknown'), loginRequest(email, 'wrong password here', 'wrong')],
      count: 2 * TIMING_PAIRS,
    });

    console.log(`[${kind}] refresh rotations: ${REFRESH_CHAINS} sessions, ${REFRESH_CONNECTIONS} connections, best of ${REFRESH_ROUNDS} × ${REFRESH_SECONDS} s...`);
    const { refresh, refreshCpuUs } = await measureRefresh(url, email, engine);

    return {
      refresh,
      refreshCpuUs,
      login: summarise(latenciesOf(logins.samples, 200)),
      unknownEmail: summarise(latenciesOf(timing.samples, 401, 'unknown')),
      wrongPassword: summarise(latenciesOf(timing.samples, 401, 'wrong')),
      ...(await measureFlood(kind, url, email)),
    };
  });

async function measureFlood(kind: EngineKind, url: string, email: string): Promise<FloodFigures> {
  console.log(`[${kind}] /auth/me at ${ME_RATE}/s, unloaded then during a login flood (${FLOOD_CONNECTIONS} connections, wrong passwords), ${FLOOD_ROUNDS} rounds...`);
  const [session] = await loginMany(url, email, 1);
  const me: JobRequest = { method: 'GET', path: '/auth/me', headers: { authorization: `Bearer ${session!.access_token}` } };
  const unloaded: LatencySummary[] = [];
  const flooded: LatencySummary[] = [];
  let flood: AutocannonSummary | undefined;
  for (let round = 0; round < FLOOD_ROUNDS; round++) {
    unloaded.push(summarise(latenciesOf((await probeRun({ url, requests: [me], count: ME_SAMPLES, ratePerSec: ME_RATE })).samples, 200)));
    const floodRun = autocannonRun({
      url,
      request: loginRequest(email, 'wrong password here', 'flood'),
      connections: FLOOD_CONNECTIONS,
      durationSec: Math.ceil(ME_SAMPLES / ME_RATE) + 2,
    });
    await new Promise((r) => setTimeout(r, 1000)); // let the flood fill bcrypt's threads first
    flooded.push(summarise(latenciesOf((await probeRun({ url, requests: [me], count: ME_SAMPLES, ratePerSec: ME_RATE })).samples, 200)));
    flood = await floodRun;
    console.log(`  round ${round + 1}: p99 ${ms(unloaded[round]!.p99)} unloaded, ${ms(flooded[round]!.p99)} flooded`);
  }
  return { meUnloaded: medianOfRuns(unloaded), meFlooded: medianOfRuns(flooded), roundRatios: flooded.map((f, i) => f.p99 / unloaded[i]!.p99), flood: flood! };
}

async function bareBcrypt(): Promise<LatencySummary> {
  const hash = await bcrypt.hash(PASSWORD, 12);
  const times: number[] = [];
  for (let i = 0; i < LOGIN_SAMPLES; i++) {
    const t0 = performance.now();
    await bcrypt.compare(PASSWORD, hash);
    times.push(performance.now() - t0);
  }
  return summarise(times);
}

console.log(`Auth over HTTP: ${VCPUS} vCPU machine; load generated in child processes.`);
console.log('[reference] bare bcrypt.compare at cost 12...');
const bare = await bareBcrypt();
const figures: Partial<Record<EngineKind, EngineFigures>> = {};
for (const kind of ['postgres', 'pglite'] as const) figures[kind] = await measureEngine(kind);
// RS256 signing is a large share of a rotation's CPU: the same on EdDSA (AUTH_SIGNING_ALG), on a fresh database.
const eddsa = await withServer('postgres', 'EdDSA', async (url, email, engine) => {
  console.log(`[postgres, EdDSA] refresh rotations, best of ${REFRESH_ROUNDS} × ${REFRESH_SECONDS} s...`);
  return measureRefresh(url, email, engine);
});
// The same flood with the bcrypt threads at the event loop's priority: what AUTH_BCRYPT_NICE buys.
const sameNice: Partial<Record<EngineKind, FloodFigures>> = {};
for (const kind of ['postgres', 'pglite'] as const) sameNice[kind] = await withServer(kind, 'RS256', (url, email) => measureFlood(kind, url, email), 0);

const keycloak = KEYCLOAK_REFRESH_PER_VCPU * VCPUS;
function refreshRow(name: string, f: Pick<EngineFigures, 'refresh' | 'refreshCpuUs'>, withGoal: boolean): Row {
  const bad = f.refresh.non2xx + f.refresh.errors;
  const cpu = `CPU/rotation: this process ${Math.round(f.refreshCpuUs.server)} µs${Number.isNaN(f.refreshCpuUs.database) ? '' : `, PostgreSQL ${Math.round(f.refreshCpuUs.database)} µs`}`;
  return {
    name: `${name}: POST /auth/refresh`,
    value: f.refresh.rps,
    unit: 'rotations/s',
    ratio: f.refresh.rps / keycloak,
    note: `vs Keycloak; p99 ${f.refresh.latencyMs.p99} ms; ${cpu}${bad > 0 ? `; ${bad} FAILED` : ''}${withGoal ? `; goal ≥ ${REFRESH_GOAL}/s: ${f.refresh.rps >= REFRESH_GOAL ? 'met' : 'MISSED'}` : ''}`,
  };
}
const refreshRows: Row[] = [];
const loginRows: Row[] = [{ name: 'bare bcrypt.compare, cost 12 (reference)', value: bare.p50, unit: 'ms p50', note: `p99 ${ms(bare.p99)}` }];
const meRows: Row[] = [];
for (const [kind, f] of Object.entries(figures) as Array<[EngineKind, EngineFigures]>) {
  refreshRows.push(refreshRow(`ours on ${kind}, RS256`, f, kind === 'postgres'));
  loginRows.push(
    { name: `${kind}: login (correct password)`, value: f.login.p50, unit: 'ms p50', ratio: f.login.p50 / bare.p50, note: `vs bare bcrypt; p99 ${ms(f.login.p99)} (${(f.login.p99 / bare.p99).toFixed(2)}× bare p99)` },
    { name: `${kind}: unknown email`, value: f.unknownEmail.p50, unit: 'ms p50', note: `p99 ${ms(f.unknownEmail.p99)}` },
    {
      name: `${kind}: wrong password`,
      value: f.wrongPassword.p50,
      unit: 'ms p50',
      ratio: f.wrongPassword.p50 / f.unknownEmail.p50,
      note: `vs unknown email; medians differ by ${ms(Math.abs(f.wrongPassword.p50 - f.unknownEmail.p50))}`,
    },
  );
  meRows.push(...floodRows(kind, f, 'bcrypt threads at nice 10 (default)'));
  const same = sameNice[kind];
  if (same !== undefined) meRows.push(...floodRows(kind, same, 'bcrypt threads at nice 0'));
}
function floodRows(kind: EngineKind, f: FloodFigures, label: string): Row[] {
  const meRatio = f.meFlooded.p99 / f.meUnloaded.p99;
  return [
    { name: `${kind}, ${label}: /auth/me unloaded`, value: f.meUnloaded.p99, unit: 'ms p99', note: `p50 ${ms(f.meUnloaded.p50)}` },
    {
      name: `${kind}, ${label}: /auth/me during login flood`,
      value: f.meFlooded.p99,
      unit: 'ms p99',
      ratio: meRatio,
      note: `vs unloaded (medians of ${FLOOD_ROUNDS} rounds; each round ${f.roundRatios.map((r) => `${r.toFixed(2)}×`).join(' ')}); p50 ${ms(f.meFlooded.p50)}; flood ${f.flood.rps.toFixed(1)} logins/s; goal < 1.2×: ${meRatio < 1.2 ? 'met' : 'MISSED'}`,
    },
  ];
}
refreshRows.push(refreshRow('ours on postgres, EdDSA', eddsa, true));
refreshRows.push({ name: `Keycloak (published: ${KEYCLOAK_REFRESH_PER_VCPU}/s per vCPU × ${VCPUS})`, value: keycloak, unit: 'rotations/s', note: 'reference, not run here' });

printTable(`Refresh-token rotation over HTTP (${REFRESH_CONNECTIONS} connections, best of ${REFRESH_ROUNDS} × ${REFRESH_SECONDS} s, a fresh token each request)`, refreshRows);
printTable(`Login latency, bcrypt cost 12 (${LOGIN_SAMPLES} sequential logins; ${TIMING_PAIRS} interleaved unknown/wrong pairs)`, loginRows);
printTable(`/auth/me latency at ${ME_RATE} req/s open loop (${ME_SAMPLES} requests a run, median p99 of ${FLOOD_ROUNDS} alternating rounds), flood = ${FLOOD_CONNECTIONS} concurrent wrong-password logins, limits raised`, meRows);
reproduce(COMMAND);
writeResult('auth-http', { bareBcrypt: bare, keycloakReference: keycloak, engines: figures, postgresEdDSA: eddsa, bcryptAtNice0: sameNice, command: COMMAND });
