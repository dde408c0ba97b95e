import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { Type } from 'typebox';
import { AppError, errorCatalog } from '@realchat/errors';
import { createLogger, silentLogger } from '@realchat/logging';
import { createHttpApp, type App } from '@realchat/http';

let app: App;
let dbUp = true;

beforeAll(async () => {
  app = createHttpApp({ logger: silentLogger, bodyLimit: 1024 });
  app.probes.add('db', async () => {
    if (!dbUp) throw new AppError('DATABASE_UNAVAILABLE');
  });
  app.post(
    '/things',
    { schema: { body: Type.Object({ name: Type.String({ minLength: 2 }), count: Type.Integer() }, { additionalProperties: false }) } },
    async (request, reply) => reply.code(201).send({ name: request.body.name, count: request.body.count }),
  );
  app.get('/things', { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }) } }, async (request) => ({
    limit: request.query.limit,
  }));
  app.get('/things/:id', { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } }, async (request) => ({ id: request.params.id }));
  app.get('/boom', async () => {
    throw new Error('secret stack detail');
  });
  await app.ready();
});
afterAll(() => app.close());

const post = (payload: string, type = 'application/json') =>
  app.inject({ method: 'POST', url: '/things', payload, headers: { 'content-type': type } });

describe('createHttpApp', () => {
  it('accepts a valid body and echoes a request id', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'ab', count: 2 }, headers: { 'x-request-id': 'abc-123' } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-request-id']).toBe('abc-123');
  });

  it('puts the fixed response headers on every answer, which a route may override', async () => {
    const headed = createHttpApp({ logger: silentLogger, responseHeaders: { 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'" } });
    headed.get('/page', async (_request, reply) => reply.header('content-security-policy', "default-src 'self'").send('ok'));
    headed.get('/boom', async () => {
      throw new Error('boom');
    });
    try {
      const answers = await Promise.all(['/page', '/boom', '/nowhere', '/healthz'].map((url) => headed.inject({ method: 'GET', url })));
      const [page, , missing] = answers;
      expect(answers.map((r) => [r.statusCode, r.headers['x-frame-options']])).toEqual([
        [200, 'DENY'],
        [500, 'DENY'],
        [404, 'DENY'],
        [200, 'DENY'],
      ]);
      expect(page!.headers['content-security-policy']).toBe("default-src 'self'");
      expect(missing!.headers['content-security-policy']).toBe("default-src 'none'");
      expect(missing!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await headed.close();
    }
  });

  it('replaces a malformed incoming request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/things', headers: { 'x-request-id': 'bad id\u0001' } });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['malformed JSON', '{"name":', 'MALFORMED_JSON', 400],
    ['a wrong type, without coercion', '{"name":"ab","count":"2"}', 'VALIDATION_FAILED', 400],
    ['an unknown field', '{"name":"ab","count":2,"admin":true}', 'VALIDATION_FAILED', 400],
    ['a missing field', '{"name":"ab"}', 'VALIDATION_FAILED', 400],
    ['an oversize body', JSON.stringify({ name: 'x'.repeat(2000), count: 1 }), 'PAYLOAD_TOO_LARGE', 413],
  ])('rejects %s as problem+json', async (_label, payload, code, status) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code, status, instance: '/things' });
  });

  it('lists the failing fields', async () => {
    const res = await post('{"name":"a","count":1,"extra":1}');
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: '/name', message: expect.stringContaining('fewer than 2') },
        { path: '/extra', message: 'is not an allowed field' },
      ]),
    );
  });

  it('rejects an unsupported media type', async () => {
    const res = await post('name=ab', 'text/plain');
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('coerces and defaults query strings', async () => {
    expect((await app.inject('/things?limit=5')).json()).toEqual({ limit: 5 });
    expect((await app.inject('/things')).json()).toEqual({ limit: 20 });
    expect((await app.inject('/things?limit=500')).json().code).toBe('VALIDATION_FAILED');
  });

  it('hides internals of unexpected errors behind INTERNAL', async () => {
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('INTERNAL');
    expect(res.body).not.toContain('secret stack detail');
  });

  it('answers unknown routes with ROUTE_NOT_FOUND', async () => {
    const res = await app.inject('/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('ROUTE_NOT_FOUND');
  });

  it('reports liveness, readiness and metrics', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    dbUp = false;
    const notReady = await app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().checks.db).toEqual({ ok: false, error: 'DATABASE_UNAVAILABLE' });
    dbUp = true;
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toMatch(/http_requests_total\{method="POST",route="\/things",status="201"\} \d+/);
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} 1\n/);
    expect(metrics.body).toMatch(/http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/readyz"\} 2\n/);
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/readyz"\} 2\n/);
  });
});

describe('readiness timeout', () => {
  it('reports a check that has not answered within readinessTimeoutMs by the clock', async () => {
    const clock = new ManualClock();
    const slow = createHttpApp({ logger: silentLogger, readinessTimeoutMs: 2_000, clock });
    slow.probes.add('hung', () => new Promise(() => undefined));
    try {
      let answered = false;
      const answer = slow.inject('/readyz').finally(() => (answered = true));
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
      await clock.advanceAsync(1_999);
      expect(answered).toBe(false);
      await clock.advanceAsync(1);
      const res = await answer;
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.hung).toEqual({ ok: false, error: 'timed out after 2000 ms' });
    } finally {
      await slow.close();
    }
  });
});

describe('path parameters', () => {
  const id = '0190a0e0-0000-7000-8000-00000000abcd';

  it('accepts a canonical UUID for the uuid format, in either case', async () => {
    for (const value of [id, id.toUpperCase()]) expect((await app.inject({ method: 'GET', url: `/things/${value}` })).json()).toEqual({ id: value });
  });

  // Regression: ajv-formats admits `urn:uuid:…`, which PostgreSQL refuses: a 500 behind a route that took it.
  it.each([`urn:uuid:${id}`, `{${id}}`, id.replaceAll('-', '')])('refuses %s for the uuid format with a 400 problem', async (value) => {
    const res = await app.inject({ method: 'GET', url: `/things/${encodeURIComponent(value)}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  // Regression: the router wrote these itself, as Fastify's JSON, past the error handler.
  it.each([
    ['a badly encoded one', '/things/%E0%A4%A', 400, 'BAD_REQUEST'],
    ['one over maxParamLength', `/things/${'a'.repeat(201)}`, 414, 'URI_TOO_LONG'],
  ] as const)('answers %s with a problem document', async (_name, url, status, code) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, code });
  });
});

// Regression: a plugin's 4xx (rate limit, negotiation, auth...) became a 500 INTERNAL logged as an error.
describe('errors that Fastify or a plugin raise with a status', () => {
  const withStatus = (statusCode: number, message = 'plugin said no'): Error => Object.assign(new Error(message), { statusCode });

  it.each([
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [405, 'METHOD_NOT_ALLOWED'],
    [406, 'NOT_ACCEPTABLE'],
    [408, 'REQUEST_TIMEOUT'],
    [409, 'CONFLICT'],
    [414, 'URI_TOO_LONG'],
    [429, 'RATE_LIMITED'],
    [431, 'HEADERS_TOO_LARGE'],
    [418, 'BAD_REQUEST'],
    [422, 'BAD_REQUEST'],
    [503, 'SERVICE_UNAVAILABLE'],
    [502, 'INTERNAL'],
  ] as const)('answers a thrown %i with %s, logged as an error only when it is a 5xx', async (statusCode, code) => {
    const lines: Array<{ level: number; code?: string }> = [];
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; code?: string }) });
    const plugged = createHttpApp({ logger });
    // As plugins do: a hook that sets its headers on the reply, then throws an error carrying a status.
    plugged.addHook('onRequest', async (_request, reply) => {
      void reply.header('retry-after', '7');
      throw withStatus(statusCode);
    });
    plugged.get('/limited', async () => 'never');
    try {
      const res = await plugged.inject('/limited');
      const expected = errorCatalog[code].status;
      expect(res.statusCode).toBe(expected);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.json()).toMatchObject({ code, status: expected });
      expect(res.body).not.toContain('plugin said no');
      const logged = lines.find((line) => line.code === code);
      expect(logged?.level).toBe(expected >= 500 ? 50 : 30);
    } finally {
      await plugged.close();
    }
  });

  it('reads `status` when `statusCode` is absent (http-errors)', async () => {
    const plugged = createHttpApp({ logger: silentLogger });
    plugged.get('/gone', async () => {
      throw Object.assign(new Error('nope'), { status: 429 });
    });
    try {
      expect((await plugged.inject('/gone')).json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    } finally {
      await plugged.close();
    }
  });

  it('keeps the headers the error asks for (Allow on a 405) and challenges every 401', async () => {
    const plugged = createHttpApp({ logger: silentLogger });
    plugged.get('/method', async () => {
      throw Object.assign(new Error('nope'), { status: 405, headers: { Allow: 'GET, HEAD', 'x-count': 3 } });
    });
    plugged.get('/who', async () => {
      throw withStatus(401);
    });
    try {
      const method = await plugged.inject('/method');
      expect([method.statusCode, method.headers['allow'], method.headers['x-count']]).toEqual([405, 'GET, HEAD', undefined]);
      const who = await plugged.inject('/who');
      expect([who.statusCode, who.headers['www-authenticate']]).toEqual([401, 'Bearer realm="realchat"']);
    } finally {
      await plugged.close();
    }
  });

  it('answers a body shorter than its Content-Length with 400 BAD_REQUEST, not 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: '{"name":"ab","count":2}',
      headers: { 'content-type': 'application/json', 'content-length': '40' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
  });
});

describe('requests the HTTP parser refuses', () => {
  it('answers headers over the limit and a malformed request with a problem, not Node’s bare answer', async () => {
    const server = createHttpApp({ logger: silentLogger, responseHeaders: { 'x-frame-options': 'DENY' } });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as AddressInfo;
    const send = (bytes: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
        socket.end(bytes);
      });
    try {
      const big = await send(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(big).toMatch(/^HTTP\/1\.1 431 .*\r\ncontent-type: application\/problem\+json/);
      expect(big).toContain('x-frame-options: DENY');
      expect(JSON.parse(big.split('\r\n\r\n')[1]!)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
      const malformed = await send('GET /healthz HTTP/9.x\r\n\r\n');
      expect(JSON.parse(malformed.split('\r\n\r\n')[1]!)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    } finally {
      await server.close();
    }
  });
});
