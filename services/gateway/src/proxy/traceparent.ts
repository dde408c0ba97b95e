import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

// One call into the CSPRNG per request cost about 5% of a proxied request: ids are cut from a
// random buffer refilled 4 KiB at a time instead (each byte used once).
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/**
 * The `traceparent` for the next hop (W3C Trace Context): a valid incoming trace keeps its trace
 * id and flags with a new span id for this hop; anything else starts a new sampled trace.
 * `continued` says whether the incoming `tracestate` belongs with it.
 */
export function nextTraceparent(header: string | string[] | undefined): { traceparent: string; continued: boolean } {
  const span = randomHex(8);
  if (typeof header === 'string') {
    const m = TRACEPARENT.exec(header);
    // Version ff is invalid; version 00 allows nothing after the flags; zero ids are invalid.
    if (m !== null && m[1] !== 'ff' && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN && !(m[1] === '00' && m[5] !== undefined)) {
      return { traceparent: `00-${m[2]}-${span}-${m[4]}`, continued: true };
    }
  }
  return { traceparent: `00-${randomHex(16)}-${span}-01`, continued: false };
}
