import { isIPv4, isIPv6 } from 'node:net';

/** The eight hextets of an IPv6 address (zone id dropped), or undefined when it is not one. */
function hextets(address: string): number[] | undefined {
  const ip = address.split('%')[0]!;
  if (!isIPv6(ip)) return undefined;
  let text = ip;
  const tail: number[] = [];
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, -dotted[1]!.length);
    // `::1.2.3.4` leaves `::`, `64:ff9b::1.2.3.4` leaves `64:ff9b::`, `1:2:3:4:5:6:1.2.3.4` a trailing `:`.
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = text.indexOf('::');
  const head = parse(gap === -1 ? text : text.slice(0, gap));
  const rest = gap === -1 ? [] : parse(text.slice(gap + 2));
  const missing = 8 - head.length - rest.length - tail.length;
  return [...head, ...Array<number>(gap === -1 ? 0 : missing).fill(0), ...rest, ...tail];
}

/**
 * The rate-limit key of a client address. An IPv6 client is keyed by its /64: one subscriber
 * usually holds a whole /64, and could rotate through its addresses past a per-address limit.
 * An IPv4-mapped address (`::ffff:1.2.3.4`, a dual-stack listener's IPv4 client) keys as the IPv4 one.
 */
export function clientKey(address: string): string {
  if (isIPv4(address)) return address;
  const groups = hextets(address);
  if (groups === undefined) return address;
  if (groups.slice(0, 5).every((h) => h === 0) && groups[5] === 0xffff) return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.');
  return `${groups.slice(0, 4).map((h) => h.toString(16)).join(':')}::/64`;
}
