/**
 * Gateway throughput (issue 3): requests/s and p99 with autocannon against a tiny JSON upstream:
 * direct, nginx, a bare Node proxy (the floor for any Node gateway), our gateway (no auth, edge
 * verification with and without the verified-token cache), and a route hosted in the gateway
 * process (embedded mode) vs a bare Fastify route. CPU per request is printed beside each row.
 * Every row gets the same request, a GET with the bearer token a signed-in client sends: the rows
 * differ only in what the server does with it (the 800-byte header costs every proxy that
 * forwards it, whether it verifies the token or not).
 *
 * Processes: autocannon, the upstream and each server under test (the gateway with and without
 * the verified-token cache, the bare Node proxy, bare Fastify, nginx's master + 1 worker) run in
 * processes of their own. On 2 cores the load generator, the proxy and the upstream share the
 * machine in every proxy row alike.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { loadavg } from 'node:os';
import type { JsonWebKey } from '@realchat/auth-verify';
import { printTable, reproduce, settle, shuffle, writeResult, type Row } from './lib/report.js';
import type { AutocannonSummary } from './http/load-job.js';
import { processTreeCpuMs } from './http/cpu.js';
import type { GatewayBenchServer } from './http/gateway-worker.js';
import { autocannonRun } from './http/load.js';
import { NGINX_INSTALL_HINT, nginxAvailable, startNginx, type NginxProxy } from './http/nginx.js';
import { startServerProcess, type ServerProcess } from './http/server-process.js';
import { startUpstreamProcess, UPSTREAM_BODY } from './http/upstream.js';

const COMMAND = 'npm run -w @realchat/bench gateway';
const CONNECTIONS = 50;
const SECONDS = 4;
/** Each row is measured this many times, interleaved with the others; the best run counts (noise only slows runs down). */
const ROUNDS = 3;
const NGINX_WORKERS = 1; // one worker against one Node event loop
const ISSUER = 'https://auth.bench.test';
const AUDIENCE = 'realchat';

interface Target {
  readonly name: string;
  readonly url: string;
  readonly path: string;
  /** CPU time used so far (ms) by the server under test: the proxy, or the upstream when direct. */
  readonly cpuMs: () => number;
}

interface RunResult extends AutocannonSummary {
  /** CPU of the server under test per request: unlike req/s, it does not depend on what else runs on the machine. */
  readonly cpuUsPerRequest: number;
  readonly upstreamCpuUsPerRequest: number;
}

/** An RS256 key and a user access token as the auth service signs them. */
function signingFixture(): { jwk: JsonWebKey; token: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk: JsonWebKey = { ...(publicKey.export({ format: 'jwk' }) as { kty: string }), kid, alg: 'RS256', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: randomUUID(), sid: randomUUID(), roles: ['STUDENT'], iat: now, exp: now + 3600, jti: randomUUID() })}`;
  return { jwk, token: `${input}.${sign('sha256', Buffer.from(input), privateKey as KeyObject).toString('base64url')}` };
}

function startServer(setup: GatewayBenchServer): Promise<ServerProcess> {
  return startServerProcess(new URL('./http/gateway-worker.ts', import.meta.url), setup);
}

/** One request first: a row that answers anything but 200 would measure an error path. */
async function check(target: Target): Promise<void> {
  const res = await fetch(target.url + target.path, { headers: bearer });
  const body = await res.text();
  if (res.status !== 200 || body !== UPSTREAM_BODY) throw new Error(`${target.name}: ${res.status} ${body.slice(0, 200)}`);
}

async function run(target: Target, durationSec: number, upstreamPid: number): Promise<RunResult> {
  const cpu0 = target.cpuMs();
  const up0 = processTreeCpuMs(upstreamPid);
  const result = await autocannonRun({
    url: target.url,
    request: { method: 'GET', path: target.path, headers: bearer },
    connections: CONNECTIONS,
    durationSec,
  });
  const perRequest = (ms: number): number => (ms * 1000) / Math.max(1, result.completed);
  return { ...result, cpuUsPerRequest: perRequest(target.cpuMs() - cpu0), upstreamCpuUsPerRequest: perRequest(processTreeCpuMs(upstreamPid) - up0) };
}

const loadBefore = loadavg()[0]!;
console.log(`Gateway: autocannon ${CONNECTIONS} connections × ${SECONDS} s per run, ${ROUNDS} interleaved rounds in random order (best counts), load generator and upstream in child processes.`);
const upstream = await startUpstreamProcess();
const { jwk, token } = signingFixture();
const bearer = { authorization: `Bearer ${token}` };
const gatewaySetup = { kind: 'gateway', upstreamUrl: upstream.url, jwk, issuer: ISSUER, audience: AUDIENCE } as const;
const gateway = await startServer({ ...gatewaySetup, cache: true });
const uncached = await startServer({ ...gatewaySetup, cache: false });
const bare = await startServer({ kind: 'bare-fastify' });
const bareProxy = await startServer({ kind: 'bare-proxy', upstreamUrl: upstream.url });
const nginx: NginxProxy | undefined = nginxAvailable() ? await startNginx({ upstreamPort: upstream.port, workers: NGINX_WORKERS }) : undefined;
if (nginx === undefined) console.log(`nginx is not installed: its row is skipped (install it with \`${NGINX_INSTALL_HINT}\`).`);

const cpuOf = (server: { pid: number }) => (): number => processTreeCpuMs(server.pid);
const targets: Target[] = [
  { name: 'direct to upstream', url: upstream.url, path: '/chat/open', cpuMs: cpuOf(upstream) },
  ...(nginx === undefined ? [] : [{ name: `nginx reverse proxy (${NGINX_WORKERS} worker)`, url: nginx.url, path: '/chat/open', cpuMs: cpuOf(nginx) }]),
  { name: 'bare Node proxy (node:http + undici)', url: bareProxy.url, path: '/chat/open', cpuMs: cpuOf(bareProxy) },
  { name: 'gateway, no auth', url: gateway.url, path: '/chat/open', cpuMs: cpuOf(gateway) },
  { name: 'gateway, edge verification, cache on', url: gateway.url, path: '/chat/secure', cpuMs: cpuOf(gateway) },
  { name: 'gateway, edge verification, cache off', url: uncached.url, path: '/chat/secure', cpuMs: cpuOf(uncached) },
  { name: 'embedded route in the gateway', url: gateway.url, path: '/bench/hello', cpuMs: cpuOf(gateway) },
  { name: 'bare Fastify route', url: bare.url, path: '/bench/hello', cpuMs: cpuOf(bare) },
];
const best = new Map<string, RunResult>();
try {
  for (const target of targets) await check(target);
  for (const target of targets) await run(target, 1, upstream.pid); // JIT and connection warm-up
  const order = [...targets];
  for (let round = 1; round <= ROUNDS; round++) {
    // In a new order each round, after a pause: no row always runs in the wake of the same other.
    shuffle(order);
    for (const target of order) {
      await settle();
      const result = await run(target, SECONDS, upstream.pid);
      console.log(`  round ${round}: ${target.name.padEnd(40)} ${Math.round(result.rps).toString().padStart(7)} req/s  p99 ${result.latencyMs.p99} ms  ${Math.round(result.cpuUsPerRequest)} µs CPU/req${result.non2xx + result.errors > 0 ? `  ${result.non2xx} non-2xx, ${result.errors} errors` : ''}`);
      const previous = best.get(target.name);
      if (previous === undefined || result.rps > previous.rps) best.set(target.name, result);
    }
  }
} finally {
  await nginx?.close();
  await bare.close();
  await bareProxy.close();
  await uncached.close();
  await gateway.close();
  await upstream.close();
}

const rps = (name: string): number | undefined => best.get(name)?.rps;
const nginxName = `nginx reverse proxy (${NGINX_WORKERS} worker)`;
const goal = (ratio: number | undefined, min: number): string => (ratio === undefined ? '' : `; goal ≥ ${min}×: ${ratio >= min ? 'met' : 'MISSED'}`);
const reference: Record<string, { of: string; min?: number }> = {
  [nginxName]: { of: 'direct to upstream' },
  'bare Node proxy (node:http + undici)': { of: nginxName },
  'gateway, no auth': { of: nginxName, min: 0.5 },
  'gateway, edge verification, cache on': { of: 'gateway, no auth', min: 0.9 },
  'gateway, edge verification, cache off': { of: 'gateway, no auth' },
  'embedded route in the gateway': { of: 'bare Fastify route', min: 0.8 },
};
const rows: Row[] = targets.map((t) => {
  const r = best.get(t.name)!;
  const ref = reference[t.name];
  const refRps = ref === undefined ? undefined : rps(ref.of);
  const ratio = refRps === undefined ? undefined : r.rps / refRps;
  return {
    name: t.name,
    value: r.rps,
    unit: 'req/s',
    ...(ratio === undefined ? {} : { ratio }),
    note: `p99 ${r.latencyMs.p99} ms, ${Math.round(r.cpuUsPerRequest)} µs CPU/req${ref === undefined || ratio === undefined ? '' : ` vs ${ref.of}${ref.min === undefined ? '' : goal(ratio, ref.min)}`}`,
  };
});
printTable(`Gateway requests/s (GET, ${CONNECTIONS} connections, best of ${ROUNDS} × ${SECONDS} s; 2 cores shared by load, proxy and upstream)`, rows);
console.log(`\nLoad average (1 min) before: ${loadBefore.toFixed(2)}, after: ${loadavg()[0]!.toFixed(2)} — other work on the machine lowers every row.`);
reproduce(COMMAND);
writeResult('gateway', {
  command: COMMAND,
  connections: CONNECTIONS,
  secondsPerRun: SECONDS,
  rounds: ROUNDS,
  nginxWorkers: nginx === undefined ? null : NGINX_WORKERS,
  loadAverage: { before: loadBefore, after: loadavg()[0] },
  rows: Object.fromEntries(targets.map((t) => [t.name, best.get(t.name)])),
});
