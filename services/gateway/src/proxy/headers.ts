/** Headers meaningful for one connection only (RFC 9110 §7.6.1), never forwarded as they are. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Headers the gateway sets itself for the next hop; a client's values are dropped. */
const GATEWAY_SET = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip', 'x-request-id', 'traceparent', 'tracestate']);

/**
 * Identity headers a client could forge to impersonate someone to a service that trusted them.
 * Services derive identity from the verified token only; these never reach them from outside.
 */
export const IDENTITY_HEADER_PREFIXES: readonly string[] = ['x-user', 'x-principal', 'x-client-id', 'x-session-id', 'x-auth-', 'x-authenticated', 'x-forwarded-user', 'x-forwarded-email', 'x-remote-user', 'remote-user', 'x-roles', 'x-scopes', 'x-service-'];

// The gateway's own server already answered `100 Continue`; the upstream gets the body at once.
const EXPECT = 'expect';

/** First characters of the identity prefixes: most names (accept, cookie, user-agent) skip the loop. */
const IDENTITY_INITIALS = new Set(IDENTITY_HEADER_PREFIXES.map((p) => p.charCodeAt(0)));

function isIdentityHeader(name: string): boolean {
  if (!IDENTITY_INITIALS.has(name.charCodeAt(0))) return false;
  for (const prefix of IDENTITY_HEADER_PREFIXES) if (name.startsWith(prefix)) return true;
  return false;
}

/** Extra hop-by-hop names listed in a `Connection` header value. */
function connectionTokens(value: string, into: Set<string> | undefined): Set<string> | undefined {
  // What nearly every client sends, and names nothing.
  if (value === 'keep-alive' || value === 'close') return into;
  for (const t of value.split(',')) {
    const name = t.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive' && name !== 'upgrade') (into ??= new Set()).add(name);
  }
  return into;
}

/** What the gateway knows about the client side of a request. */
export interface ForwardedFacts {
  /** The trusted chain, client first, the gateway's direct peer last. */
  readonly chain: readonly string[];
  readonly proto: string;
  readonly host: string | undefined;
  readonly requestId: string;
  readonly traceparent: string;
  /** The incoming `tracestate`, when the incoming trace is continued. */
  readonly tracestate: string | undefined;
}

/**
 * Builds the raw header list for the upstream request: hop-by-hop and identity headers removed,
 * `x-forwarded-*`, `x-request-id` and `traceparent` set by the gateway; `Authorization` passes
 * unchanged so services verify the token again. With `upgrade`, the WebSocket handshake headers stay.
 */
export function upstreamRequestHeaders(rawHeaders: readonly string[], facts: ForwardedFacts, upstreamHost: string, upgrade = false): string[] {
  let extra: Set<string> | undefined;
  let out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === 'connection') extra = connectionTokens(rawHeaders[i + 1]!, extra);
    if (HOP_BY_HOP.has(lower) || GATEWAY_SET.has(lower) || lower === EXPECT || isIdentityHeader(lower)) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  // Rare (browsers send `Connection: keep-alive`): a second pass drops the names it lists.
  if (extra !== undefined) {
    const named = extra;
    const kept: string[] = [];
    for (let i = 0; i < out.length; i += 2) if (!named.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!);
    out = kept;
  }
  out.push('host', upstreamHost, 'x-forwarded-for', facts.chain.join(', '), 'x-forwarded-proto', facts.proto, 'x-request-id', facts.requestId, 'traceparent', facts.traceparent);
  if (facts.host !== undefined) out.push('x-forwarded-host', facts.host);
  if (facts.tracestate !== undefined) out.push('tracestate', facts.tracestate);
  if (upgrade) out.push('connection', 'Upgrade', 'upgrade', 'websocket');
  return out;
}

/**
 * The upstream response's headers for the client, without hop-by-hop ones; `gateway` headers
 * (request id, CORS, rate limits, security) replace the upstream's, except a CSP the upstream set.
 */
export function clientResponseHeaders(rawHeaders: readonly string[], gateway: Readonly<Record<string, string | number | readonly string[] | undefined>>): string[] {
  const out: string[] = [];
  let upstreamCsp = false;
  let upstreamVary = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'content-security-policy') upstreamCsp = true;
    // Vary adds up: the upstream's (Accept-Encoding, Authorization) stay beside the gateway's Origin.
    else if (lower === 'vary') upstreamVary = true;
    else if (Object.hasOwn(gateway, lower)) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  for (const name in gateway) {
    const value = gateway[name];
    if (value === undefined || (upstreamCsp && name === 'content-security-policy')) continue;
    if (upstreamVary && name === 'vary') {
      const present = new Set<string>();
      for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() === 'vary') for (const t of out[i + 1]!.split(',')) present.add(t.trim().toLowerCase());
      const missing = String(value).split(',').map((t) => t.trim()).filter((t) => t !== '' && !present.has(t.toLowerCase()) && !present.has('*'));
      if (missing.length > 0) out.push(name, missing.join(', '));
      continue;
    }
    if (typeof value === 'object') for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}
