import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { createHttpApp, registerOpenApi, type App, type OpenApiDocument } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { UserRepository } from '../src/repositories/user.repository.js';
import { authService } from '../src/index.js';
import { register, startAuth, variants, type Harness } from './harness.js';

/*
 * The standard, checked on every route of the auth service: every input from outside is validated;
 * bad input gets a clear 4xx RFC 9457 problem+json with a stable `code`, never a 500, a crash or a
 * hang. The routes come from the service's own OpenAPI document, so a new route is covered without
 * touching this file. Every malformed request is sent with the credential the route needs (found
 * by probing), so the body, query and path checks run behind the auth guard, not just against it.
 *
 * Expectations per case:
 *  - `reject`: the case breaks a part the route declares (a body schema, a path or query
 *    parameter, a bearer credential it requires): the answer must be 4xx.
 *  - `tolerate`: the case only touches a part the route does not declare (a body on a route
 *    without one, a query string on a route without parameters, a bad Authorization header on a
 *    public route, extra fields where the schema allows them): the route may ignore it, but
 *    never answer 5xx.
 * Every answer >= 400 must be problem+json with a string `code` (the /oauth endpoints answer with
 * RFC 6749 section 5.2 bodies by design, see oauth.routes.ts: `application/json` with an `error`
 * from the RFC's list). A request that takes longer than REQUEST_TIMEOUT_MS is a hang.
 *
 * The checker proves it can fail: the last test points it at a throwaway app with a route that
 * throws (500) and one that answers a plain-text 400, and expects both to be reported.
 */

const REQUEST_TIMEOUT_MS = 5_000;
const HUGE = 'A'.repeat(100 * 1024);
const LONG_PATH_SEGMENT = 'a'.repeat(5000);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'server_error', 'temporarily_unavailable']);

type JsonSchema = {
  type?: string | string[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  minItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
};

interface Parameter {
  readonly in: string;
  readonly name: string;
  readonly required?: boolean;
  readonly schema?: JsonSchema;
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly params: readonly Parameter[];
  readonly query: readonly Parameter[];
  readonly body?: { readonly contentType: string; readonly schema: JsonSchema };
}

type Credential = 'none' | 'user' | 'service';

interface Case {
  readonly name: string;
  readonly expect: 'reject' | 'tolerate';
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string;
  /** Send the route's credential (default true); the Authorization cases send their own header. */
  readonly withCredential?: boolean;
}

interface Violation {
  readonly request: string;
  readonly status: number | 'timeout' | 'threw';
  readonly problem: string;
  readonly body: string;
}

/** Every operation in the document, from paths and methods; the body's first declared media type. */
function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method] as { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } } | undefined;
      if (op === undefined) continue;
      const parameters = op.parameters ?? [];
      const content = Object.entries(op.requestBody?.content ?? {});
      const first = content[0];
      out.push({
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        ...(first === undefined ? {} : { body: { contentType: first[0], schema: first[1].schema ?? {} } }),
      });
    }
  }
  return out;
}

const typeOf = (schema: JsonSchema): string | undefined => (Array.isArray(schema.type) ? schema.type[0] : schema.type);

/** A value the schema accepts, so a case can break exactly one thing. */
function plausible(schema: JsonSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined) return schema.enum[0];
  const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (alternative !== undefined) return plausible(alternative);
  switch (typeOf(schema)) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 0, 1) }, () => plausible(schema.items ?? { type: 'string' }));
    case 'object': {
      // Required properties only: an optional one (client_secret, ...) may change what the route does.
      const required = new Set(schema.required ?? []);
      return Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => required.has(k)).map(([k, v]) => [k, plausible(v)]));
    }
    default:
      if (schema.format === 'email') return 'someone@example.com';
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 1));
  }
}

/** A value of another JSON type than the schema's. */
function wrongType(schema: JsonSchema): unknown {
  switch (typeOf(schema)) {
    case 'integer':
    case 'number':
      return 'not-a-number';
    case 'boolean':
      return 'maybe';
    case 'array':
      return 'not-an-array';
    case 'object':
      return 'not-an-object';
    default:
      return schema.anyOf !== undefined || schema.enum !== undefined ? 12345 : { nested: [1, 2, 3] };
  }
}

const summary = (payload: string | undefined): string => (payload === undefined ? '' : payload.length > 120 ? `${payload.slice(0, 100)}... (${payload.length} chars)` : payload);

/** The malformed requests for one operation. */
function casesFor(op: Operation, credential: Credential): Case[] {
  const validParams = Object.fromEntries(op.params.map((p) => [p.name, String(plausible(p.schema ?? {}))]));
  const urlWith = (params: Record<string, string>): string => op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => params[name] ?? 'x');
  const url = urlWith(validParams);
  const cases: Case[] = [];

  // Bodies.
  if (BODY_METHODS.has(op.method)) {
    const declared = op.body !== undefined;
    const isForm = op.body?.contentType === 'application/x-www-form-urlencoded';
    const bodyExpect = declared ? 'reject' : 'tolerate';
    // A schema without required fields accepts `{}`; its routes also take no body (or null) as `{}`
    // (logout, refresh, logout-all), so those cases only must not fail.
    const emptyOk = declared && (op.body?.schema?.required ?? []).length === 0;
    const emptyExpect: Case['expect'] = emptyOk ? 'tolerate' : bodyExpect;
    const json = (name: string, value: unknown, expectation: Case['expect'] = bodyExpect): Case => ({
      name,
      expect: expectation,
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(value),
    });
    cases.push({ name: 'invalid JSON', expect: declared ? 'reject' : 'tolerate', url, headers: { 'content-type': 'application/json' }, payload: '{"a": ' });
    cases.push({ name: 'empty JSON body', expect: emptyExpect, url, headers: { 'content-type': 'application/json', 'content-length': '0' }, payload: '' });
    for (const [name, value] of [['array', [1, 2]], ['number', 42], ['string', 'hello'], ['boolean', true]] as const) {
      cases.push(json(`body is ${name}`, value));
    }
    cases.push(json('body is null', null, emptyExpect));
    cases.push(json('body is empty object', {}, emptyExpect));
    cases.push({ name: 'body of 100 kB', expect: bodyExpect, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ blob: HUGE }) });
    cases.push({ name: 'text/plain body', expect: bodyExpect, url, headers: { 'content-type': 'text/plain' }, payload: '{"email":"a@b.c"}' });
    cases.push({ name: 'application/xml body', expect: bodyExpect, url, headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    cases.push({ name: 'garbage content-type', expect: bodyExpect, url, headers: { 'content-type': ';;;/=' }, payload: '{}' });
    cases.push({ name: 'json with unsupported charset', expect: emptyExpect, url, headers: { 'content-type': 'application/json; charset=utf-32' }, payload: '{}' });
    cases.push({ name: 'form garbage', expect: bodyExpect, url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '%%%&&==&a=%E0%A4%A&=&&' });

    const schema = op.body?.schema;
    if (schema !== undefined) {
      const base = plausible(schema) as Record<string, unknown>;
      const strict = schema.additionalProperties === false;
      const send = (name: string, value: Record<string, unknown>, expectation: Case['expect'] = 'reject'): Case =>
        isForm
          ? {
              name,
              expect: expectation,
              url,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: new URLSearchParams(Object.entries(value).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString(),
            }
          : json(name, value, expectation);
      cases.push(send('unknown extra field', { ...base, __unexpected: 'x' }, strict ? 'reject' : 'tolerate'));
      for (const [prop, propSchema] of Object.entries(schema.properties ?? {})) {
        if (!isForm) {
          cases.push(send(`${prop}: wrong type`, { ...base, [prop]: wrongType(propSchema) }));
          cases.push(send(`${prop}: null`, { ...base, [prop]: null }));
        }
        if (propSchema.maxLength !== undefined) cases.push(send(`${prop}: maxLength + 1`, { ...base, [prop]: 'a'.repeat(propSchema.maxLength + 1) }));
        cases.push(send(`${prop}: 100 kB string`, { ...base, [prop]: HUGE }));
      }
    }
  }

  // Path parameters: a missing resource (404) is still 4xx.
  if (op.params.length > 0) {
    for (const [name, value] of [
      ['%00', '%00'],
      ['..%2F', '..%2F..%2Fetc%2Fpasswd'],
      ['5000 chars', LONG_PATH_SEGMENT],
      ['not a UUID', 'not-a-uuid'],
      ['bad percent-encoding', '%E0%A4%A'],
      ['SQL-ish', encodeURIComponent("' or 1=1--")],
      ['urn:uuid', `urn:uuid:${randomUUID()}`],
      ['upper-case UUID', randomUUID().toUpperCase()],
    ] as const) {
      const params = Object.fromEntries(op.params.map((p) => [p.name, value]));
      cases.push({ name: `path ${name}`, expect: 'reject', url: urlWith(params), ...bodyFor(op) });
    }
  }

  // Query strings.
  const queryExpect = op.query.length > 0 ? 'reject' : 'tolerate';
  cases.push({ name: 'unknown query parameter', expect: queryExpect, url: `${url}?__unexpected=1`, ...bodyFor(op) });
  cases.push({ name: 'huge unknown query parameter', expect: queryExpect, url: `${url}?q=${HUGE}`, ...bodyFor(op) });
  cases.push({ name: 'query with bad percent-encoding', expect: 'tolerate', url: `${url}?%E0%A4%A=%00`, ...bodyFor(op) });
  for (const p of op.query) {
    const wrong = encodeURIComponent(String(wrongType(p.schema ?? {})));
    cases.push({ name: `query ${p.name}: wrong type`, expect: typeOf(p.schema ?? {}) === 'string' ? 'tolerate' : 'reject', url: `${url}?${p.name}=${wrong}`, ...bodyFor(op) });
    cases.push({ name: `query ${p.name}: repeated`, expect: 'reject', url: `${url}?${p.name}=1&${p.name}=2`, ...bodyFor(op) });
    cases.push({ name: `query ${p.name}: bracket syntax`, expect: 'tolerate', url: `${url}?${p.name}[a]=1`, ...bodyFor(op) });
    cases.push({ name: `query ${p.name}: 100 kB`, expect: 'reject', url: `${url}?${p.name}=${HUGE}`, ...bodyFor(op) });
    if (typeOf(p.schema ?? {}) === 'integer') {
      for (const v of ['-1', '0', '1.5', '1e309', '99999999999999999999', 'NaN']) {
        cases.push({ name: `query ${p.name}=${v}`, expect: v === '0' && (p.schema?.minimum ?? 1) < 1 ? 'tolerate' : 'reject', url: `${url}?${p.name}=${v}`, ...bodyFor(op) });
      }
    }
  }

  // Authorization headers (without the route's credential): 401 where it needs one.
  const authExpect = credential === 'none' ? 'tolerate' : 'reject';
  for (const [name, value] of [
    ['garbage', 'garbage'],
    ['Bearer with nothing', 'Bearer '],
    ['Bearer with junk', 'Bearer !!!'],
    ['Bearer with a fake JWT', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['Bearer with spaces', 'Bearer a b c'],
    ['Bearer of 8 kB', `Bearer ${'a'.repeat(8 * 1024)}`],
    ['Bearer of 100 kB', `Bearer ${HUGE}`],
    ['Basic garbage', 'Basic !!!***'],
    ['Basic of 100 kB', `Basic ${HUGE}`],
  ] as const) {
    const body = bodyFor(op);
    cases.push({ name: `Authorization: ${name}`, expect: authExpect, url, withCredential: false, ...body, headers: { ...body.headers, authorization: value } });
  }
  // Other headers a route reads.
  const body = bodyFor(op);
  cases.push({ name: 'garbage cookie + cookie transport', expect: 'tolerate', url, ...body, headers: { ...body.headers, cookie: 'realchat_rt=%%%; ;;=; a', 'x-refresh-token-transport': 'cookie' } });
  return cases;
}

/** A plausible body for cases that break something else (so the route gets that far). */
function bodyFor(op: Operation): { headers?: Record<string, string>; payload?: string } {
  if (op.body === undefined) return {};
  const value = plausible(op.body.schema) as Record<string, unknown>;
  if (op.body.contentType === 'application/x-www-form-urlencoded') {
    return { headers: { 'content-type': op.body.contentType }, payload: new URLSearchParams(Object.entries(value).map(([k, v]): [string, string] => [k, String(v)])).toString() };
  }
  return { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(value) };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** What is wrong with one answer, or undefined. */
function judge(path: string, c: Case, status: number, contentType: string, body: string): string | undefined {
  if (status >= 500) return `status ${status} (never 5xx)`;
  if (c.expect === 'reject' && (status < 400 || status >= 500)) return `status ${status}, expected 4xx`;
  if (status < 400) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `error body is not JSON (content-type ${contentType || 'none'})`;
  }
  const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (path.startsWith('/oauth/')) {
    // RFC 6749 5.2 by design on the OAuth endpoints.
    if (!contentType.startsWith('application/json')) return `OAuth error content-type ${contentType || 'none'}, expected application/json`;
    if (typeof fields.error !== 'string' || !OAUTH_ERRORS.has(fields.error)) return 'OAuth error body without an RFC 6749 `error`';
    return undefined;
  }
  if (!contentType.startsWith('application/problem+json')) return `content-type ${contentType || 'none'}, expected application/problem+json`;
  if (typeof fields.code !== 'string' || fields.code === '') return 'problem without a string `code`';
  if (fields.status !== status) return `problem status ${String(fields.status)} differs from HTTP ${status}`;
  return undefined;
}

interface Target {
  readonly app: App;
  readonly doc: OpenApiDocument;
  /** A header for each credential kind; called per request, so a route that ends a session cannot spoil the next case. */
  readonly credential: (kind: Credential) => Promise<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Sends every case to every operation; returns the violations and how many requests were made. */
async function checkBadInput(target: Target): Promise<{ violations: Violation[]; requests: number; operations: number; tolerated: string[] }> {
  const { app, doc } = target;
  const timeoutMs = target.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const violations: Violation[] = [];
  /** `tolerate` cases the route answered below 400 (it ignored the input): listed with BAD_INPUT_VERBOSE=1. */
  const tolerated: string[] = [];
  let requests = 0;
  const ops = operationsOf(doc);
  for (const op of ops) {
    // The credential the route needs: the first one the guard lets through (its hook runs before the body is read).
    let credential: Credential = 'none';
    for (const kind of ['none', 'user', 'service'] as const) {
      const url = op.path.replace(/\{([^}]+)\}/g, () => randomUUID());
      const res = await app.inject({ method: op.method as 'GET', url, headers: await target.credential(kind), ...(bodyFor(op).payload === undefined ? {} : { payload: bodyFor(op).payload }) });
      credential = kind;
      if (res.statusCode !== 401 && res.statusCode !== 403) break;
    }
    const cases = casesFor(op, credential);
    // Small batches: fast, yet a single PGlite connection is not flooded.
    for (let i = 0; i < cases.length; i += 8) {
      await Promise.all(
        cases.slice(i, i + 8).map(async (c) => {
          requests++;
          const headers = { ...(c.withCredential === false ? {} : await target.credential(credential)), ...c.headers };
          const label = `${op.method} ${c.url.length > 150 ? `${c.url.slice(0, 120)}... (${c.url.length} chars)` : c.url} [${c.name}]${c.payload === undefined ? '' : ` body=${summary(c.payload)}`}${
            c.headers?.['content-type'] === undefined ? '' : ` content-type=${c.headers['content-type']}`
          }`;
          let outcome;
          try {
            outcome = await withTimeout(app.inject({ method: op.method as 'GET', url: c.url, headers, ...(c.payload === undefined ? {} : { payload: c.payload }) }), timeoutMs);
          } catch (err) {
            violations.push({ request: label, status: 'threw', problem: 'inject threw', body: String(err) });
            return;
          }
          if (outcome === 'timeout') {
            violations.push({ request: label, status: 'timeout', problem: `no answer within ${timeoutMs} ms`, body: '' });
            return;
          }
          const problem = judge(op.path, c, outcome.statusCode, String(outcome.headers['content-type'] ?? ''), outcome.body);
          if (problem !== undefined) violations.push({ request: label, status: outcome.statusCode, problem, body: outcome.body.slice(0, 300) });
          else if (outcome.statusCode < 400) tolerated.push(`${op.method} ${op.path} [${c.name}] -> ${outcome.statusCode}`);
        }),
      );
    }
  }
  return { violations, requests, operations: ops.length, tolerated };
}

const report = (violations: readonly Violation[]): string =>
  violations.length === 0 ? 'none' : `${violations.length} violation(s):\n${violations.map((v) => `- ${v.request}\n    -> ${v.status}: ${v.problem}\n    body: ${v.body}`).join('\n')}`;

// On PostgreSQL as well as PGlite: what the database refuses (a `urn:uuid:` id) is where 500s came from.
describe.each(variants)('auth: bad input is refused with a 4xx problem on every route (%s)', (variant) => {
  let h: Harness;
  let doc: OpenApiDocument;
  let adminId: string;
  let serviceToken: string;
  const users = new UserRepository();

  beforeAll(async () => {
    h = await startAuth(variant);
    const admin = await register(h.app);
    expect(await h.module.users.grantAdmin(admin.email)).toBe(true);
    adminId = admin.id;
    const client = await h.module.clients.create('bad-input-probe', ['users:read']);
    const issued = await h.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
    });
    expect(issued.statusCode).toBe(200);
    serviceToken = issued.json().access_token;

    // The published document (/auth, /oauth, /.well-known), plus the module's other prefixes
    // (/internal, left out of the public document) from the same generator.
    const published = await h.app.inject({ method: 'GET', url: '/auth/openapi.json' });
    expect(published.statusCode).toBe(200);
    const publicDoc = published.json<OpenApiDocument>();
    const full = (h.app as unknown as { swagger(): OpenApiDocument }).swagger();
    const own = Object.entries(full.paths ?? {}).filter(([path]) => authService.prefixes.some((p) => path === p || path.startsWith(`${p}/`)));
    doc = { ...publicDoc, paths: { ...Object.fromEntries(own), ...publicDoc.paths } };
  });
  afterAll(() => h.close());

  const credential = async (kind: Credential): Promise<Record<string, string>> => {
    if (kind === 'none') return {};
    if (kind === 'service') return { authorization: `Bearer ${serviceToken}` };
    // A fresh admin session per request: /auth/logout-all and friends end the caller's sessions.
    const row = await users.findById(h.db, adminId);
    const pair = await h.module.sessions.start(row!, { userAgent: 'bad-input-test', ip: '127.0.0.1' });
    return { authorization: `Bearer ${pair.accessToken}` };
  };

  it('finds the routes in the OpenAPI document', () => {
    const paths = Object.keys(doc.paths ?? {});
    // A floor, not the list: the point is that new routes are picked up by themselves.
    for (const path of ['/auth/register', '/auth/login', '/auth/sessions/{id}', '/auth/users/{id}/roles', '/oauth/token', '/.well-known/jwks.json', '/internal/users/{id}']) {
      expect(paths).toContain(path);
    }
  });

  it('answers every malformed request with a 4xx problem, never a 5xx or a hang', async () => {
    const { violations, requests, operations, tolerated } = await checkBadInput({ app: h.app, doc, credential });
    console.log(`bad-input: ${operations} operations, ${requests} malformed requests, ${tolerated.length} ignored harmlessly`);
    if (process.env.BAD_INPUT_VERBOSE === '1') console.log(tolerated.join('\n'));
    expect(operations).toBeGreaterThanOrEqual(15);
    expect(violations, report(violations)).toEqual([]);
  });

  it('the checker itself reports a 500, a plain-text error and an unvalidated body', async () => {
    const app = createHttpApp({ logger: silentLogger });
    await registerOpenApi(app, { title: 'broken', version: '0', documentPath: '/broken/openapi.json', prefixes: ['/broken'] });
    app.post('/broken/boom', { schema: { body: Type.Object({ name: Type.String({ maxLength: 10 }) }) } }, async () => {
      throw new Error('boom');
    });
    app.get('/broken/plain', { schema: { querystring: Type.Object({ n: Type.Optional(Type.Integer()) }) } }, async (_request, reply) => reply.code(400).type('text/plain').send('bad'));
    app.post('/broken/lax', { schema: { body: Type.Object({ name: Type.String() }, { additionalProperties: false }) }, validatorCompiler: () => (data) => ({ value: data }) }, async () => ({ ok: true }));
    await app.ready();
    try {
      const brokenDoc = (await app.inject({ method: 'GET', url: '/broken/openapi.json' })).json<OpenApiDocument>();
      const { violations } = await checkBadInput({ app, doc: brokenDoc, credential: async () => ({}), timeoutMs: 1000 });
      const text = report(violations);
      expect(violations.some((v) => v.request.startsWith('POST /broken/boom') && v.status === 500), text).toBe(true);
      expect(violations.some((v) => v.request.startsWith('GET /broken/plain') && v.problem.includes('not JSON')), text).toBe(true);
      expect(violations.some((v) => v.request.startsWith('POST /broken/lax') && v.problem.includes('expected 4xx')), text).toBe(true);
    } finally {
      await app.close();
    }
  });
});
