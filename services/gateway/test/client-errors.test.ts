import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, startGateway, type TestGateway } from './helpers.js';

/** Regression: what Node's parser refuses got its bare 400 / 431, without problem+json or the security headers. */
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ key: await makeKey() });
});

afterAll(() => gw.close());

/** Writes `bytes` and reads the answer until the gateway closes the connection. */
function exchange(bytes: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.end(bytes);
  });
}

describe('requests the HTTP parser refuses', () => {
  it.each([
    ['headers over 16 KB', `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['a malformed request line', 'GET /healthz HTTP/9.x\r\nhost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a request line without a version', 'BROKEN\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a header name with a space', 'GET /healthz HTTP/1.1\r\nhost: x\r\nbad header: y\r\n\r\n', 400, 'BAD_REQUEST'],
  ])('answers %s with a problem and the security headers', async (_case, bytes, status, code) => {
    const res = await exchange(bytes);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status, code });
    expect(res.headers['x-request-id']).toBe((JSON.parse(res.body) as { requestId: string }).requestId);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['connection']).toBe('close');
  });
});
