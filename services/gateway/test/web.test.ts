import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_CSP } from '../src/edge/security-headers.js';
import { makeKey, startGateway, type TestGateway } from './helpers.js';

describe('gateway: the web app at /', () => {
  let root: string;
  let gateway: TestGateway;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'realchat-web-root-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>app</title><script type="module" src="/assets/app-1a2b.js"></script>');
    await writeFile(join(root, 'assets', 'app-1a2b.js'), 'console.log("app")');
    gateway = await startGateway({ key: await makeKey(), config: { web: { root } } });
  });
  afterAll(async () => {
    await gateway?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves the page without a token, under the web CSP, revalidated every time', async () => {
    for (const path of ['/', '/index.html']) {
      const res = await fetch(`${gateway.url}${path}`);
      expect([res.status, res.headers.get('content-type'), res.headers.get('content-security-policy'), res.headers.get('cache-control')], path).toEqual([
        200,
        'text/html; charset=utf-8',
        WEB_CSP,
        'no-cache',
      ]);
      expect(await res.text()).toContain('<title>app</title>');
    }
    expect(WEB_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('serves the hashed assets as immutable, and HEAD too', async () => {
    const res = await fetch(`${gateway.url}/assets/app-1a2b.js`);
    expect([res.status, res.headers.get('cache-control'), await res.text()]).toEqual([200, 'public, max-age=31536000, immutable', 'console.log("app")']);
    expect((await fetch(`${gateway.url}/assets/app-1a2b.js`, { method: 'HEAD' })).status).toBe(200);
  });

  it('serves no other path: an unknown asset is 404, any other path keeps needing a token, writes are refused', async () => {
    const missing = await fetch(`${gateway.url}/assets/nope.js`);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
    const other = await fetch(`${gateway.url}/settings`);
    expect([other.status, other.headers.get('content-security-policy')]).toEqual([401, expect.stringContaining("default-src 'none'")]);
    await other.body?.cancel();
    const post = await fetch(`${gateway.url}/`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(post.status).toBe(401);
    await post.body?.cancel();
  });

  it('starts without a build where the root has none: / is not found', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'realchat-web-empty-'));
    const bare = await startGateway({ key: await makeKey(), config: { web: { root: empty } } });
    try {
      const res = await fetch(`${bare.url}/`);
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([404, 'ROUTE_NOT_FOUND']);
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
