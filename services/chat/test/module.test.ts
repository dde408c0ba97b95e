import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, startChat, variants, type ChatHarness } from './harness.js';

describe.each(variants)('the chat service hosted by the gateway (%s)', (variant) => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChat(variant);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('publishes its manifest with its WebSocket endpoint', async () => {
    const doc = await call<Record<string, unknown>>(h, null, 'GET', '/chat/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body['x-realchat-service']).toMatchObject({ name: 'chat', prefixes: ['/chat'], websockets: ['/chat/ws'] });
  });

  it('needs a user token for its routes', async () => {
    expect((await call(h, null, 'GET', '/chat/conversations')).status).toBe(401);
    const user = await signUp(h);
    expect((await call(h, user, 'GET', '/chat/nope')).status).toBe(404);
  });

  it('keeps its guard to its own routes: the host\'s public routes stay public', async () => {
    for (const path of ['/openapi.json', '/docs/', '/auth/openapi.json', '/.well-known/jwks.json']) {
      expect((await fetch(`${h.base}${path}`)).status, path).toBe(200);
    }
  });
});
