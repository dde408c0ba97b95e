import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * The `traceparent` for the next hop (W3C Trace Context): a valid incoming trace keeps its trace
 * id and flags with a new span id for this hop; anything else starts a new sampled trace.
 * `continued` says whether the incoming `tracestate` belongs with it.
 */
export function nextTraceparent(header: string | string[] | undefined): { traceparent: string; continued: boolean } {
  const span = randomBytes(8).toString('hex');
  if (typeof header === 'string') {
    const m = TRACEPARENT.exec(header);
    // Version ff is invalid; version 00 allows nothing after the flags; zero ids are invalid.
    if (m !== null && m[1] !== 'ff' && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN && !(m[1] === '00' && m[5] !== undefined)) {
      return { traceparent: `00-${m[2]}-${span}-${m[4]}`, continued: true };
    }
  }
  return { traceparent: `00-${randomBytes(16).toString('hex')}-${span}-01`, continued: false };
}
