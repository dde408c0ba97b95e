import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { BIN, runCli } from '../../cli/test/processes.js';

/** Where each browser test keeps the screenshots of its key screens (git-ignored; the README points here). */
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling Google's hosts, refused here.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Account {
  readonly email: string;
  readonly password: string;
  readonly displayName: string;
}

let accounts = 0;
/** A fresh account's details (unique within the run). */
export function account(displayName: string): Account {
  accounts += 1;
  return { email: `${displayName.toLowerCase().replace(/\W+/g, '.')}.${accounts}.${process.pid}@example.com`, password: 'correct horse battery', displayName };
}

export interface RunningApp {
  readonly url: string;
  /** Registers an account over the API (faster than the form, for tests about something else). */
  register(account: Account): Promise<void>;
  stop(): Promise<void>;
}

function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out = (out + d.toString()).slice(-20_000);
      const found = /running at (http:\/\/\S+)/.exec(out);
      if (found?.[1] !== undefined) resolve({ child, url: found[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`realchat start exited with ${code}:\n${out}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * `realchat start` (what `npm start` runs, on the built sources) on a free port with its own data
 * folder. `admins` are registered and granted ADMIN first (the CLI needs the folder to itself, so
 * the system starts once for them, stops, and starts again).
 */
export async function startApp(options: { admins?: readonly Account[] } = {}): Promise<RunningApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'realchat-web-'));
  const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', AUTH_BCRYPT_COST: '4', GATEWAY_RATE_LIMIT_IP: 'off', GATEWAY_RATE_LIMIT_USER: 'off' };
  const register = (url: string) => async (a: Account): Promise<void> => {
    const res = await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a) });
    if (res.status !== 201) throw new Error(`register ${a.email}: ${res.status} ${await res.text()}`);
  };
  if ((options.admins ?? []).length > 0) {
    const first = await start(env);
    try {
      for (const admin of options.admins ?? []) await register(first.url)(admin);
    } finally {
      await stopChild(first.child);
    }
    for (const admin of options.admins ?? []) {
      const granted = await runCli(['admin', 'grant', admin.email], env);
      if (granted.code !== 0) throw new Error(`admin grant: ${granted.stderr}`);
    }
  }
  const { child, url } = await start(env);
  return {
    url,
    register: register(url),
    async stop() {
      await stopChild(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls the API as `who` (to set the scene faster than the forms do). */
export async function apiAs(app: RunningApp, who: Account): Promise<<T = { id: string }>(method: string, path: string, body?: unknown) => Promise<T>> {
  const login = await fetch(`${app.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: who.email, password: who.password }) });
  if (login.status !== 200) throw new Error(`login ${who.email}: ${login.status}`);
  const { access_token: token } = (await login.json()) as { access_token: string };
  return async <T = { id: string },>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
}

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A browser context (one person's browser) on the app, recording what would show the app broken:
 * CSP refusals, uncaught errors and failed requests of its own origin.
 */
export async function openApp(browser: Browser, app: RunningApp, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ baseURL: app.url, viewport });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto('/');
  return { context, page, problems };
}

/** Records console errors (CSP refusals among them) and uncaught exceptions of a page. */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A refused call (401, 404) logs a console error by itself in Chromium: that is the app's own handling, not a problem.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return problems;
}

export async function signUp(page: Page, a: Account): Promise<void> {
  await page.goto('/#/sign-up');
  await page.getByLabel('Display name').fill(a.displayName);
  await page.getByLabel('Email').fill(a.email);
  await page.getByLabel('Password').fill(a.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: a.displayName }).waitFor();
}

export async function signIn(page: Page, a: Account): Promise<void> {
  await page.goto('/#/sign-in');
  await page.getByLabel('Email').fill(a.email);
  await page.getByLabel('Password').fill(a.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: a.displayName }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/**
 * axe-core's violations of impact serious or critical on the page as it is now. The script runs by
 * the DevTools protocol, which the page's CSP does not govern (an injected <script> would be refused).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const source = await axeSource;
  await page.evaluate(source);
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
