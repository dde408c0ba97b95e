import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPGliteDatabase } from '@realchat/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli as run } from './processes.js';

// Every command is a fresh process opening PGlite: seconds each, more on a loaded machine.
describe('realchat CLI (embedded data folder)', { timeout: 300_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'realchat-cli-'));
    env = { DATA_DIR: dataDir, AUTH_BCRYPT_COST: '4' };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('stops on a wrong configuration value or an unknown option with one clear line', async () => {
    const res = await run(['migrate'], { ...env, PORT: 'eighty' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^realchat: invalid configuration: PORT .*"eighty"/)]);
    // Regression: an unknown option crashed with parseArgs's stack trace.
    const unknown = await run(['keys', 'list', '--bogus'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^realchat: Unknown option '--bogus'.*\nusage: realchat <command>/s);
  });

  it('migrates every service, creates the key-encryption key with mode 0600, and manages service clients', async () => {
    const migrated = await run(['migrate'], env);
    expect(migrated.stdout).toMatch(/^migrations applied: bus:\S+, .*auth:/);
    expect((await run(['migrate'], env)).stdout).toBe('migrations: nothing to apply\n');
    const created = await run(['clients', 'create', 'chat', '--scope', 'users:read'], env);
    expect(created.code).toBe(0);
    // Made by the first command that opened auth's keys.
    expect((await stat(join(dataDir, 'keys', 'kek'))).mode & 0o777).toBe(0o600);
    const id = /client_id=(svc_\S+)/.exec(created.stdout)?.[1];
    expect(created.stdout).toMatch(/client_secret=cs_[A-Za-z0-9_-]{43}/);
    expect((await run(['clients', 'list'], env)).stdout).toContain(`${id}  chat  users:read`);
    expect((await run(['clients', 'revoke', id ?? ''], env)).code).toBe(0);
    expect((await run(['clients', 'list'], env)).stdout).not.toContain(String(id));
  });

  it('rotates keys and refuses to grant admin to an unknown account', async () => {
    const rotated = await run(['keys', 'rotate'], env);
    expect(rotated.stdout).toMatch(/next signing key \S+ is published now/);
    expect((await run(['keys', 'list'], env)).stdout.trim().split('\n')).toHaveLength(2);
    const grant = await run(['admin', 'grant', 'nobody@example.com'], env);
    expect(grant.code).toBe(2);
    expect(grant.stderr).toContain('register it first');
  });

  it('lists the dead letters of the outbox and requeues them', async () => {
    expect((await run(['outbox', 'failed'], env)).stdout).toBe('no dead letters\n');
    // A valid event, refused earlier by a NATS server whose max_payload was too low: requeued, the
    // next relay run publishes it.
    const id = randomUUID();
    const data = { userId: randomUUID(), displayName: 'Dead Letter', roles: ['STUDENT'], createdAt: new Date().toISOString() };
    const db = await createPGliteDatabase({ dataDir: join(dataDir, 'pglite') });
    try {
      await db.query(
        `insert into auth.outbox (id, type, version, occurred_at, producer, data, attempts, failed_at, last_error)
         values ($1, 'user.created', 1, now(), 'auth', $2::jsonb, 1, now(), $3)`,
        [id, JSON.stringify(data), 'over max_payload\nsecond line'],
      );
    } finally {
      await db.close();
    }
    const listed = await run(['outbox', 'failed'], env);
    const seq = new RegExp(`^auth  (\\d+)  ${id}  user\\.created  attempts=1  failed=\\S+  "over max_payload\\\\nsecond line"$`, 'm').exec(listed.stdout)?.[1];
    expect(seq).toBeDefined();
    for (const args of [
      ['outbox', 'requeue', 'constructor', 'all'],
      ['outbox', 'requeue', 'auth', 'x1'],
      ['outbox', 'requeue', 'auth', String(seq), 'extra'],
      ['outbox', 'requeue', 'auth', String(Number(seq) + 1)],
    ]) {
      const refused = await run(args, env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^realchat: (outbox requeue needs|no dead letter)/);
    }
    expect((await run(['outbox', 'requeue', 'auth', String(seq)], env)).stdout).toMatch(/^1 requeued/);
    expect((await run(['outbox', 'failed'], env)).stdout).toBe('no dead letters\n');
    const none = await run(['outbox', 'requeue', 'auth', 'all'], env);
    expect([none.code, none.stdout]).toEqual([0, expect.stringMatching(/^0 requeued/)]);
  });

  // Regression: fail() called process.exit inside the try, so PGlite was never closed and the data folder stayed locked.
  it('closes the runtime and releases the data folder when a command fails', async () => {
    for (const args of [['admin', 'grant', 'nobody@example.com'], ['no', 'such', 'command']]) {
      const failed = await run(args, env);
      expect(failed.code).toBe(2);
      expect(failed.stderr).toMatch(/^realchat: /);
      await expect(stat(join(dataDir, 'realchat.pid'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
    expect((await run(['keys', 'list'], env)).code).toBe(0);
  });

  it('runs the system with `start`, holds the data folder, and stops cleanly on SIGTERM', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'warn' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /running at (http:\/\/\S+)/.exec(out);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`start exited with ${code}`)));
      });
      const register = await fetch(`${url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@example.com', password: 'correct horse battery', displayName: 'Admin' }),
      });
      expect(register.status).toBe(201);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      // The gateway fronts the services in this process: merged API docs, edge checks, security headers.
      const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/auth/login', '/oauth/token', '/.well-known/jwks.json']));
      expect((await fetch(`${url}/docs/`)).headers.get('content-type')).toMatch(/^text\/html/);
      const me = await fetch(`${url}/auth/me`);
      expect(me.status).toBe(401);
      expect(me.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(me.headers.get('x-content-type-options')).toBe('nosniff');
      // A second process cannot open the same PGlite folder.
      const busy = await run(['admin', 'grant', 'admin@example.com'], env);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(/in use by process/);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    // Once stopped, the folder is free again and the account is there.
    expect((await run(['admin', 'grant', 'admin@example.com'], env)).stdout).toContain('is now ADMIN');
  });
});
