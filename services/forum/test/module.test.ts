import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, DEFAULT_CATEGORY_ID, signUp, startForum, variants, type ForumHarness, type PageOf } from './harness.js';

describe.each(variants)('the forum service hosted by the gateway (%s)', (variant) => {
  let h: ForumHarness;
  beforeAll(async () => {
    h = await startForum(variant);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('publishes its manifest', async () => {
    const doc = await call<Record<string, unknown>>(h, null, 'GET', '/forum/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body['x-realchat-service']).toMatchObject({ name: 'forum', prefixes: ['/forum'] });
  });

  it('answers through the gateway, a signed-in user only, with a default category on a fresh install', async () => {
    expect((await call(h, null, 'GET', '/forum/categories')).status).toBe(401);
    const user = await signUp(h);
    const list = await call<PageOf<{ id: string; name: string }>>(h, user, 'GET', '/forum/categories');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [expect.objectContaining({ id: DEFAULT_CATEGORY_ID, name: 'General' })], nextCursor: null });
    expect((await call(h, user, 'GET', '/forum/nope')).status).toBe(404);
  });

  it('keeps its guard to its own routes: the host\'s public routes stay public', async () => {
    for (const path of ['/openapi.json', '/auth/openapi.json', '/.well-known/jwks.json']) {
      expect((await fetch(`${h.base}${path}`)).status, path).toBe(200);
    }
  });
});
