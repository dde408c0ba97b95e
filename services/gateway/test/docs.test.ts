import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { defineService } from '@realchat/runtime';
import { hostServices, makeKey, startGateway, type TestGateway } from './helpers.js';

/** What the chat upstream describes: one path and one component of its own. */
const CHAT_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'chat', version: '1.0.0' },
  tags: [{ name: 'chat', description: 'Conversations and messages' }],
  paths: {
    '/chat/conversations': {
      get: { tags: ['chat'], operationId: 'listConversations', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Conversation' } } } } } },
    },
    // Paths chat does not serve: under another service's prefix, or only looking like its own.
    '/auth/login': { post: { operationId: 'fakeLogin', responses: { '200': { description: 'a lie' } } } },
    '/notifications/inbox': { get: { operationId: 'fakeInbox', responses: { '200': { description: 'a lie' } } } },
    '/chatty': { get: { operationId: 'fakeChatty', responses: { '200': { description: 'a lie' } } } },
  },
  components: { schemas: { Conversation: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } } },
};

interface DocUpstream {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

async function startDocUpstream(): Promise<DocUpstream> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    else if (req.url === '/chat/openapi.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(CHAT_DOCUMENT));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A hosted service (embedded mode) with a schema'd route; the host documents it at /forum/openapi.json. */
const forumService = defineService({
  name: 'forum',
  prefixes: ['/forum'],
  env: Type.Object({}),
  async create() {
    return {
      async register(app) {
        app.get(
          '/forum/posts',
          { schema: { tags: ['forum'], summary: 'Lists posts', response: { 200: Type.Array(Type.Object({ id: Type.String(), title: Type.String() })) } } },
          async () => [{ id: '1', title: 'hello' }],
        );
      },
    };
  },
});

interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  tags?: Array<{ name: string }>;
}

let chat: DocUpstream;
let gw: TestGateway;

beforeAll(async () => {
  const key = await makeKey();
  chat = await startDocUpstream();
  gw = await startGateway({
    key,
    host: await hostServices(key, [forumService]),
    config: {
      // notifications points at a port nobody listens on: its document cannot be fetched.
      upstreams: { chat: [chat.url], notifications: ['http://127.0.0.1:1'] },
      docs: { title: 'RealChat API', version: '9.9.9', refreshMs: 60_000, retryMs: 60_000, timeoutMs: 1_000 },
    },
  });
  await gw.app.gateway.refreshDocs();
});

afterAll(async () => {
  await gw.close();
  await chat.close();
});

async function merged(path = '/openapi.json'): Promise<Document> {
  const res = await fetch(`${gw.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  return (await res.json()) as Document;
}

describe('merged OpenAPI document', () => {
  it("holds the upstream's paths and components and the hosted modules' routes, under the gateway's title", async () => {
    const doc = await merged();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'RealChat API', version: '9.9.9' });
    expect(doc.paths['/chat/conversations']).toEqual(CHAT_DOCUMENT.paths['/chat/conversations']);
    expect(doc.components.schemas?.['Conversation']).toEqual(CHAT_DOCUMENT.components.schemas.Conversation);
    expect(doc.paths['/forum/posts']?.['get']).toMatchObject({ summary: 'Lists posts', responses: { '200': expect.anything() } });
    expect(doc.components.securitySchemes?.['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.tags?.map((t) => t.name)).toContain('chat');
  });

  it('leaves out the gateway plumbing (proxy catch-alls, the documents themselves)', async () => {
    const paths = Object.keys((await merged()).paths);
    for (const path of paths) {
      expect(path).not.toMatch(/\*/);
      expect(path).not.toMatch(/openapi\.json$/);
      expect(path.startsWith('/docs')).toBe(false);
    }
  });

  it('serves the hosted module its own document, cut to its prefix', async () => {
    const doc = await merged('/forum/openapi.json');
    expect(Object.keys(doc.paths)).toEqual(['/forum/posts']);
  });

  it("regression: keeps only the paths under a service's own prefixes (a service could claim another's paths)", async () => {
    const paths = Object.keys((await merged()).paths);
    expect(paths).toContain('/chat/conversations');
    for (const foreign of ['/auth/login', '/notifications/inbox', '/chatty']) expect(paths).not.toContain(foreign);
  });

  it('keeps the rest when an upstream is down, and the last good copy of one that went away', async () => {
    const before = await merged();
    expect(Object.keys(before.paths).some((p) => p.startsWith('/notifications'))).toBe(false);
    await chat.close();
    await gw.app.gateway.refreshDocs();
    const after = await merged();
    expect(after.paths['/chat/conversations']).toBeDefined();
    expect(after.paths['/forum/posts']).toBeDefined();
  });
});

describe('/docs', () => {
  it('serves the HTML reference, whose scripts and styles load without a token', async () => {
    const res = await fetch(`${gw.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => new URL(m[1]!, `${gw.url}/docs/`).href);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const r = await fetch(asset);
      expect(r.status, asset).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/javascript|css/);
      await r.arrayBuffer();
    }
  });

  it('gives the page the merged document', async () => {
    const [fromDocs, fromRoot] = await Promise.all([merged('/docs/json'), merged('/openapi.json')]);
    expect(fromDocs).toEqual(fromRoot);
    expect(fromDocs.paths['/chat/conversations']).toBeDefined();
    expect(fromDocs.paths['/forum/posts']).toBeDefined();
  });
});
