import { randomUUID, sign as cryptoSign, KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import type { Algorithm, JsonWebKey } from '../src/index.js';

export const ISSUER = 'https://auth.realchat.test';
export const AUDIENCE = 'realchat';
/** 2026-01-01T00:00:00Z, the ManualClock default. */
export const NOW_SEC = Date.UTC(2026, 0, 1) / 1000;

export interface TestKey {
  readonly alg: Algorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** As the auth service publishes it: kid = RFC 7638 thumbprint, alg, use sig. */
  readonly jwk: JsonWebKey;
}

export async function makeKey(alg: Algorithm): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  return { alg, kid, privateKey, publicKey, jwk: { ...exported, kty: exported.kty ?? '', kid, alg, use: 'sig' } };
}

export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Signs any header and payload, even ones jose would refuse to produce (crit, jku, wrong alg...). */
export function signRaw(key: TestKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const keyObject = KeyObject.from(key.privateKey);
  const sig =
    key.alg === 'EdDSA'
      ? cryptoSign(null, Buffer.from(input), keyObject)
      : cryptoSign('sha256', Buffer.from(input), key.alg === 'ES256' ? { key: keyObject, dsaEncoding: 'ieee-p1363' } : keyObject);
  return `${input}.${sig.toString('base64url')}`;
}

export function userClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: randomUUID(),
    sid: randomUUID(),
    roles: ['STUDENT'],
    iat: NOW_SEC,
    exp: NOW_SEC + 900,
    jti: randomUUID(),
    ...overrides,
  };
}

export function serviceClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'chat', client_id: 'chat', scope: 'users:read', iat: NOW_SEC, exp: NOW_SEC + 900, jti: randomUUID(), ...overrides };
}

export function headerFor(key: TestKey, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...overrides };
}

export function userToken(key: TestKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  return signRaw(key, headerFor(key, header), userClaims(claims));
}

export interface JwksServer {
  readonly url: string;
  /** Requests received so far. */
  readonly count: number;
  keys: JsonWebKey[];
  /** Non-200 makes the server answer with this status. */
  status: number;
  cacheControl: string | null;
  delayMs: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JsonWebKey[]): Promise<JwksServer> {
  let count = 0;
  const state = { keys, status: 200, cacheControl: null as string | null, delayMs: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    count += 1;
    const answer = (): void => {
      if (state.status !== 200) {
        res.writeHead(state.status).end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...(state.cacheControl === null ? {} : { 'cache-control': state.cacheControl }) });
      res.end(JSON.stringify({ keys: state.keys }));
    };
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get count() {
      return count;
    },
    get keys() {
      return state.keys;
    },
    set keys(v) {
      state.keys = v;
    },
    get status() {
      return state.status;
    },
    set status(v) {
      state.status = v;
    },
    get cacheControl() {
      return state.cacheControl;
    },
    set cacheControl(v) {
      state.cacheControl = v;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v) {
      state.delayMs = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
