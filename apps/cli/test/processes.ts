import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/realchat.js', import.meta.url));

/** A port nobody listens on right now (for a child that must know its URL before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** What the process wrote to stderr and stdout so far (for failure messages). */
  output(): string;
  /** SIGKILL: a crash, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM, waits for the exit code. */
  stop(): Promise<number | null>;
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`process did not come up at ${url}:\n${output()}`);
}

/**
 * Starts a built entry point (relative to the repository root, e.g. `services/auth/dist/server.js`,
 * built by Vitest's global setup), or a test's TypeScript one, as its own process and waits for /healthz.
 */
export async function startProcess(entry: string, env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
  const port = env['PORT'] ?? String(await freePort());
  // Node itself, not `npm start`: SIGKILL must kill the service, not a wrapper. A TypeScript entry
  // (a test's own service) is loaded through tsx, and imports the built workspaces all the same.
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, ['--enable-source-maps', ...loader, entry], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: port, HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitReady(url, child, () => out, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    child,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the `realchat` CLI to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What a gateway's /readyz says of each upstream service: its available instances, and whether it knows the service's routes. */
export async function gatewayUpstreams(gatewayUrl: string): Promise<Record<string, { available: number; routes: boolean }>> {
  const res = await fetch(`${gatewayUrl}/readyz`).catch(() => undefined);
  if (res === undefined) return {};
  const body = (await res.json()) as { checks?: { upstreams?: { services?: Record<string, { available: number; routes: boolean }> } } };
  return body.checks?.upstreams?.services ?? {};
}
