/**
 * The client-credentials grant (`POST /oauth/token`, client_secret_post, one scope, RS256) over
 * HTTP: `npm start`'s embedded system (gateway rate limits off) on PGlite and on PostgreSQL,
 * beside panva's oidc-provider serving the same grant to a static client, and the bare RS256
 * signing rate of one core (the limit both approach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { opsPerSecond, printTable, reproduce, settle, writeResult, type Row } from './lib/report.js';
import { processTreeCpuMs } from './http/cpu.js';
import type { AutocannonSummary } from './http/load-job.js';
import { autocannonRun } from './http/load.js';
import { freePort, startServerProcess, type ServerProcess } from './http/server-process.js';

const COMMAND = 'npm run -w @realchat/bench oauth';
const CONNECTIONS = 50;
const SECONDS = 8;
const ROUNDS = 3;
const SCOPE = 'users:read';
const CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));

interface Contender {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly body: string;
  close(): Promise<void>;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`realchat ${args.join(' ')} exited with ${code}`))));
  });
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready in 60 s`);
}

/** `realchat clients create`, then `realchat start`, as a user runs them. */
async function startOurs(name: string, extraEnv: NodeJS.ProcessEnv, cleanup: () => Promise<void>): Promise<Contender> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rc-bench-oauth-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...extraEnv,
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    GATEWAY_RATE_LIMIT_IP: 'off',
    GATEWAY_RATE_LIMIT_USER: 'off',
  };
  const created = await runCli(['clients', 'create', 'bench', '--scope', SCOPE], env);
  const clientId = /client_id=(\S+)/.exec(created)?.[1];
  const clientSecret = /client_secret=(\S+)/.exec(created)?.[1];
  if (clientId === undefined || clientSecret === undefined) throw new Error(`unexpected output of clients create: ${created}`);
  const child = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return {
    name,
    url,
    pid: child.pid!,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: SCOPE }).toString(),
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
      await cleanup();
    },
  };
}

async function startPeer(): Promise<Contender> {
  const clientId = 'bench';
  const clientSecret = 'bench-secret-of-the-static-client-0123456789';
  const server: ServerProcess = await startServerProcess(new URL('./oauth/oidc-provider-worker.ts', import.meta.url), { clientId, clientSecret, scope: SCOPE });
  return {
    name: 'oidc-provider 9 (static client, in memory)',
    url: server.url,
    pid: server.pid,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: SCOPE }).toString(),
    close: () => server.close(),
  };
}

async function check(c: Contender): Promise<void> {
  const res = await fetch(`${c.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: c.body });
  const body = (await res.json()) as { access_token?: string };
  const header = JSON.parse(Buffer.from((body.access_token ?? '').split('.')[0] ?? '', 'base64url').toString() || '{}') as { alg?: string };
  if (res.status !== 200 || header.alg !== 'RS256') throw new Error(`${c.name}: ${res.status} ${JSON.stringify(body)}`);
}

interface Run {
  readonly summary: AutocannonSummary;
  readonly cpuUsPerToken: number;
}

async function load(c: Contender): Promise<Run> {
  const cpuBefore = processTreeCpuMs(c.pid);
  const summary = await autocannonRun({
    url: c.url,
    request: { method: 'POST', path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: c.body },
    connections: CONNECTIONS,
    durationSec: SECONDS,
  });
  const cpuUsPerToken = ((processTreeCpuMs(c.pid) - cpuBefore) * 1000) / Math.max(1, summary.completed);
  if (summary.non2xx + summary.errors > 0) throw new Error(`${c.name}: ${summary.non2xx} non-2xx, ${summary.errors} errors`);
  return { summary, cpuUsPerToken };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

// The limit: one core signing RS256 tokens of the same size, with nothing around it.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
const input = Buffer.from(`${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'http://127.0.0.1:8080', aud: 'realchat', sub: 'svc_x', client_id: 'svc_x', scope: SCOPE, iat: 1, exp: 2, jti: randomUUID() })).toString('base64url')}`);
const bareSign = opsPerSecond(() => sign('sha256', input, key), { durationMs: 3000 }).opsPerSec;

let pg: TestDatabase | undefined;
const contenders: Contender[] = [];
try {
  contenders.push(await startOurs('ours, embedded (PGlite)', {}, async () => undefined));
  pg = await createTestDatabase('postgres');
  const pgDb = pg;
  contenders.push(await startOurs('ours, PostgreSQL', { DATABASE_URL: pg.url, AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') }, () => pgDb.close()));
  contenders.push(await startPeer());
  for (const c of contenders) await check(c);
  // Warm-up, then rounds in turn, so that load from elsewhere falls on every contender alike.
  for (const c of contenders) await autocannonRun({ url: c.url, request: { method: 'POST', path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: c.body }, connections: CONNECTIONS, durationSec: 2 });
  const runs = new Map<string, Run[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      await settle(500);
      runs.get(c.name)!.push(await load(c));
    }
  }
  const peer = contenders.at(-1)!;
  const peerRps = median(runs.get(peer.name)!.map((r) => r.summary.rps));
  const rows: Row[] = contenders.map((c) => {
    const rs = runs.get(c.name)!;
    const rps = median(rs.map((r) => r.summary.rps));
    const note = `rounds ${rs.map((r) => Math.round(r.summary.rps)).join(' / ')}; p99 ${median(rs.map((r) => r.summary.latencyMs.p99))} ms; CPU ${Math.round(median(rs.map((r) => r.cpuUsPerToken)))} µs/token (server process)`;
    return c === peer ? { name: c.name, value: rps, unit: 'tokens/s', note } : { name: c.name, value: rps, unit: 'tokens/s', ratio: rps / peerRps, note: `vs oidc-provider; ${note}; goal ≥ 1.0×: ${rps >= peerRps ? 'met' : 'MISSED'}` };
  });
  rows.push({ name: 'bare RS256 signing, one core (the limit)', value: bareSign, unit: 'signs/s', note: `${Math.round(1e6 / bareSign)} µs per signature` });
  printTable(`Client-credentials grant over HTTP (${CONNECTIONS} connections, median of ${ROUNDS} alternating rounds × ${SECONDS} s)`, rows);
  reproduce(COMMAND);
  writeResult('oauth', { rows, command: COMMAND });
} finally {
  for (const c of contenders) await c.close().catch((err: unknown) => console.error(err));
  if (pg !== undefined && !contenders.some((c) => c.name.includes('PostgreSQL'))) await pg.close();
}
