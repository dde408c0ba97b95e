import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineService, type ServiceHost } from '@realchat/runtime';
import { hostServices, makeKey, postLarge, startGateway, startUpstream, tokenFor, type TestGateway, type TestUpstream } from './helpers.js';

/** A hosted service (embedded mode) whose route reads a JSON body in the gateway's process. */
const notesService = defineService({
  name: 'notes',
  prefixes: ['/notes'],
  env: Type.Object({}),
  async create() {
    return {
      async register(app) {
        app.post('/notes', async (_request, reply) => reply.code(201).send({}));
      },
    };
  },
});

/**
 * Regression: a body over the limit often ended in EPIPE / ECONNRESET instead of its 413, the
 * gateway closing the connection while the client was still sending. It now drains the rest.
 */
let auth: TestUpstream;
let gw: TestGateway;
let host: ServiceHost;
let token: string;
const SIZE = 5 * 1024 * 1024;

beforeAll(async () => {
  auth = await startUpstream('auth');
  const key = await makeKey();
  token = tokenFor(key);
  host = await hostServices(key, [notesService]);
  gw = await startGateway({ key, host, config: { upstreams: { auth: [auth.url] }, bodyLimit: 1024 * 1024 } });
});

afterAll(async () => {
  await gw.close();
  await auth.close();
  await host.stop();
});

describe('a body over the limit', () => {
  it.each([
    ['proxied', '/auth/login', 'declared', false],
    ['proxied', '/auth/login', 'chunked', true],
    ['hosted', '/notes', 'declared', false],
    ['hosted', '/notes', 'chunked', true],
  ])('gets a 413 problem for each of 20 POSTs to a %s route (%s, %s)', async (_where, path, _kind, chunked) => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => postLarge(gw.url, path, SIZE, chunked, { authorization: `Bearer ${token}` })));
    expect(outcomes).toEqual(Array.from({ length: 20 }, () => ({ status: 413, type: 'application/problem+json', code: 'PAYLOAD_TOO_LARGE' })));
  });
});
