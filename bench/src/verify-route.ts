/**
 * A protected route in one Fastify service, under the same load, verified two ways:
 *   ours:     authGuard + createVerifier fed by the auth JWKS (fetched once, kept fresh);
 *   tutorial: the seeds' design — on every request fetch the public key PEM from auth over HTTP,
 *             then jsonwebtoken.verify (both services on the same base app, createHttpApp).
 * A third row turns the token cache off; a fourth serves the route with no authentication at all,
 * the ceiling of this HTTP stack and load generator on this machine.
 * The auth server and each service run in their own child process; autocannon runs here.
 *
 *   npm run -w @realchat/bench verify-route       (BENCH_SECONDS: seconds per design, default 40)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID, createPublicKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { calculateJwkThumbprint } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { authGuard, createVerifier, principalOf, type JsonWebKey, type Principal } from '@realchat/auth-verify';
import { createHttpApp, type App } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { signCompact, toSigningKey } from '../../services/auth/src/crypto/jws.js';
import { printEnvironment, printTable, reproduce, settle, shuffle, writeResult, type Row } from './lib/report.js';

const COMMAND = 'npm run -w @realchat/bench verify-route';
const ISSUER = 'https://auth.realchat.bench';
const AUDIENCE = 'realchat';
// 5 s rounds: with 1.5 s ones, each round's start-up cost our route 5 % of its measured rate.
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 40);
if (!Number.isFinite(SECONDS) || SECONDS < 8) throw new Error(`BENCH_SECONDS must be a number of at least 8, not ${process.env['BENCH_SECONDS']}`);
const WARMUP_SECONDS = 2;
const ROUNDS = 8;
const CONNECTIONS = 50;
const HOST = '127.0.0.1';

type Role = 'auth' | 'ours' | 'ours-uncached' | 'tutorial' | 'no-auth';
interface Ready {
  readonly port: number;
}

function userIdOf(principal: Principal): string {
  return principal.kind === 'user' ? principal.userId : principal.clientId;
}

/** The auth side: the PEM the tutorial fetches per request, and the JWKS our verifier loads. */
async function authServer(): Promise<App> {
  const app = createHttpApp({ logger: silentLogger });
  const pem = process.env['BENCH_PUBLIC_PEM']!;
  const jwks = JSON.parse(process.env['BENCH_JWKS']!) as { keys: JsonWebKey[] };
  // Served from memory; the tutorial even reads the file on every request, which we spare it.
  app.get('/public-key', async (_req, reply) => reply.type('text/plain').send(pem));
  app.get('/.well-known/jwks.json', async (_req, reply) =>
    reply.type('application/jwk-set+json').header('cache-control', 'public, max-age=300').send(jwks),
  );
  return app;
}

async function oursService(authUrl: string, cache: boolean): Promise<App> {
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${authUrl}/.well-known/jwks.json`, ...(cache ? {} : { cache: false }) });
  await verifier.start();
  if (!verifier.status().ready) throw new Error('the verifier could not load the JWKS');
  const app = createHttpApp({ logger: silentLogger });
  await app.register(authGuard, { verifier });
  app.get('/me', async (request) => ({ userId: userIdOf(principalOf(request)) }));
  app.addHook('onClose', async () => verifier.close());
  return app;
}

/** The seeds' tutorial middleware, as written there, with fetch in place of axios. */
async function tutorialService(authUrl: string): Promise<App> {
  const app = createHttpApp({ logger: silentLogger });
  app.get('/me', async (request, reply) => {
    const authHeader = request.headers.authorization;
    if (authHeader === undefined) return reply.code(401).send('Missing Authorization header');
    const token = authHeader.split(' ')[1] ?? '';
    try {
      const response = await fetch(`${authUrl}/public-key`);
      const publicKey = await response.text();
      const decoded = jsonwebtoken.verify(token, publicKey, { algorithms: ['RS256'] }) as jsonwebtoken.JwtPayload;
      return { userId: decoded.sub };
    } catch {
      return reply.code(403).send('Invalid token');
    }
  });
  return app;
}

/** The ceiling: the same base app and route with no authentication at all. */
function noAuthService(): App {
  const app = createHttpApp({ logger: silentLogger });
  // Read once: a process.env read is a call into C++, which the other designs do not pay per request.
  const userId = process.env['BENCH_USER_ID'];
  app.get('/me', async () => ({ userId }));
  return app;
}

/** Child process entry: build the server for `role`, listen on a free port, report it. */
async function runChild(role: Role): Promise<void> {
  const authUrl = process.env['BENCH_AUTH_URL'] ?? '';
  const app =
    role === 'auth'
      ? await authServer()
      : role === 'tutorial'
        ? await tutorialService(authUrl)
        : role === 'no-auth'
          ? noAuthService()
          : await oursService(authUrl, role === 'ours');
  await app.listen({ host: HOST, port: 0 });
  const ready: Ready = { port: (app.server.address() as AddressInfo).port };
  process.send!(ready);
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
}

function start(role: Role, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(new URL(import.meta.url), [role], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (ready: Ready) => resolve({ child, url: `http://${HOST}:${ready.port}` }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${role} process exited with ${code}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.disconnect();
  });
}

interface Outcome {
  readonly design: string;
  /** Median over the rounds. */
  readonly requestsPerSec: number;
  /** Median over the rounds. */
  readonly p50Ms: number;
  /** Median over the rounds. */
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

interface Design {
  readonly name: string;
  readonly role: Role;
}

function load(url: string, token: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `${url}/me`, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${token}` } });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs every design's service at once and loads them in turns, round by round: load from other
 * processes on the machine then falls on every design alike.
 */
async function measureAll(designs: readonly Design[], authUrl: string, token: string, expectedUserId: string): Promise<Outcome[]> {
  const started: Array<{ child: ChildProcess; url: string }> = [];
  try {
    for (const design of designs) started.push(await start(design.role, { BENCH_AUTH_URL: authUrl, BENCH_USER_ID: expectedUserId }));
    for (const [i, design] of designs.entries()) {
      const url = started[i]!.url;
      // The route must answer correctly before its speed means anything.
      const res = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { userId?: string };
      if (res.status !== 200 || body.userId !== expectedUserId) throw new Error(`${design.name}: /me answered ${res.status} ${JSON.stringify(body)}`);
      await load(url, token, WARMUP_SECONDS);
    }
    const runs = designs.map((): autocannon.Result[] => []);
    const order = designs.map((_, i) => i);
    for (let round = 0; round < ROUNDS; round++) {
      // A fixed order would hand each design the leftovers of the one before it (the tutorial's
      // process keeps fetching and collecting garbage after its load stops).
      shuffle(order);
      for (const i of order) {
        await settle();
        runs[i]!.push(await load(started[i]!.url, token, SECONDS / ROUNDS));
      }
    }
    return designs.map((design, i) => {
      const r = runs[i]!;
      return {
        design: design.name,
        requestsPerSec: median(r.map((x) => x.requests.total / x.duration)),
        p50Ms: median(r.map((x) => x.latency.p50)),
        p99Ms: median(r.map((x) => x.latency.p99)),
        requests: r.reduce((sum, x) => sum + x.requests.total, 0),
        non2xx: r.reduce((sum, x) => sum + x.non2xx, 0),
        errors: r.reduce((sum, x) => sum + x.errors, 0),
      };
    });
  } finally {
    for (const s of started) await stop(s.child);
  }
}

async function main(): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey = createPublicKey(privateKey);
  const exported = publicKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: exported.n!, e: exported.e! });
  const jwk: JsonWebKey = { kty: 'RSA', n: exported.n!, e: exported.e!, kid, alg: 'RS256', use: 'sig' };
  const signingKey = toSigningKey(kid, 'RS256', privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  const userId = randomUUID();
  const iat = Math.floor(Date.now() / 1000);
  // The claims the auth service puts in a user access token.
  const token = signCompact(signingKey, { iss: ISSUER, aud: AUDIENCE, sub: userId, sid: randomUUID(), roles: ['STUDENT'], iat, exp: iat + 900, jti: randomUUID() });

  const auth = await start('auth', {
    BENCH_PUBLIC_PEM: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    BENCH_JWKS: JSON.stringify({ keys: [jwk] }),
  });
  printEnvironment();
  console.log(`verify-route: GET /me with one bearer token, ${CONNECTIONS} connections, ${SECONDS} s per design in ${ROUNDS} rounds, each in a new random order (after ${WARMUP_SECONDS} s warm-up)`);
  const outcomes: Outcome[] = [];
  try {
    const designs: Design[] = [
      { name: 'ours: authGuard, JWKS cached, token cache', role: 'ours' },
      { name: 'ours, token cache off (crypto every request)', role: 'ours-uncached' },
      { name: 'tutorial: fetch PEM per request + jsonwebtoken', role: 'tutorial' },
      { name: 'limit: same app and route, no authentication', role: 'no-auth' },
    ];
    outcomes.push(...(await measureAll(designs, auth.url, token, userId)));
  } finally {
    await stop(auth.child);
  }
  for (const o of outcomes) if (o.non2xx > 0 || o.errors > 0) console.warn(`warning: ${o.design}: ${o.non2xx} non-2xx, ${o.errors} errors`);

  const tutorial = outcomes.find((o) => o.design.startsWith('tutorial'))!;
  const limit = outcomes.find((o) => o.design.startsWith('limit'))!;
  printTable(
    'Throughput, median of the rounds (ratio to the tutorial design; note: share of the no-authentication ceiling)',
    outcomes.map(
      (o): Row => ({
        name: o.design,
        value: o.requestsPerSec,
        unit: 'req/s',
        ratio: o.requestsPerSec / tutorial.requestsPerSec,
        note: `${(o.requestsPerSec / limit.requestsPerSec).toFixed(2)} of ceiling`,
      }),
    ),
  );
  printTable(
    'p99 latency, median of the rounds (ratio: how many times lower than the tutorial design)',
    outcomes.map((o): Row => ({ name: o.design, value: o.p99Ms, unit: 'ms', ratio: tutorial.p99Ms / o.p99Ms, note: `p50 ${o.p50Ms} ms` })),
  );
  reproduce(COMMAND);
  writeResult('verify-route', { command: COMMAND, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, outcomes });
}

const role = process.argv[2] as Role | undefined;
if (role === undefined) await main();
else await runChild(role);
