import { isIP } from 'node:net';
import { type Static, type TObject } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/** A configuration value from the environment is missing or wrong; the message names the variable. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const INTEGER = /^\s*-?\d+\s*$/;

/**
 * Parses environment variables against a schema whose property names are the variable names.
 * Strings are converted to the schema's types, defaults applied, unknown variables ignored.
 * Returns a frozen object; throws ConfigError naming every wrong variable.
 */
export function loadConfig<S extends TObject>(schema: S, env: Readonly<Record<string, string | undefined>>): Readonly<Static<S>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  // Conversion would truncate `1.5` to 1 and read `1e3` as 1000: an integer must be written as one.
  const notIntegers = new Set(
    Object.entries(schema.properties)
      .filter(([key, property]) => (property as { type?: unknown }).type === 'integer' && typeof raw[key] === 'string' && !INTEGER.test(raw[key]))
      .map(([key]) => key),
  );
  // Convert works on a copy: the messages quote the values as given.
  const converted = Value.Default(schema, Value.Convert(schema, { ...raw }));
  const validator = Compile(schema);
  if (notIntegers.size > 0 || !validator.Check(converted)) {
    const problems = [...notIntegers].map((name) => `${name} must be a whole number (got ${JSON.stringify(raw[name])})`);
    for (const e of validator.Errors(converted)) {
      const name = e.instancePath.replace(/^\//, '') || (e.params as { requiredProperties?: string[] }).requiredProperties?.join(', ') || '(root)';
      if (notIntegers.has(name)) continue;
      const got = name in raw ? ` (got ${JSON.stringify(raw[name])})` : '';
      problems.push(`${name} ${e.message}${got}`);
    }
    throw new ConfigError(`invalid configuration: ${[...new Set(problems)].join('; ')}`);
  }
  return Object.freeze(converted);
}

/** For entry points: a wrong configuration stops the process with one clear line on stderr. */
export function loadConfigOrExit<S extends TObject>(schema: S, env: Readonly<Record<string, string | undefined>>): Readonly<Static<S>> {
  try {
    return loadConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`realchat: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Parses a duration like `15m`, `7d`, `30s`, `250ms` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null) throw new ConfigError(`invalid duration ${JSON.stringify(text)} (use e.g. 15m, 7d, 30s)`);
  const n = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1000;
  return n * factor;
}

/** Schema fragment for a duration variable (validated by pattern, converted with parseDuration). */
export const DURATION_PATTERN = '^\\d+(ms|s|m|h|d)?$';

/** proxy-addr's named ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * A comma-separated list of addresses or CIDRs (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`, `::1`, `loopback`), checked entry by
 * entry: proxy-addr would read `1` as 0.0.0.1 and throw a bare stack trace on `TRUE`.
 */
export function parseAddressList(name: string, value: string): string[] {
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const entry of entries) {
    if (NAMED_RANGES.has(entry)) continue;
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const version = isIP(address);
    const bits = slash === -1 ? undefined : entry.slice(slash + 1);
    const max = version === 6 ? 128 : 32;
    // proxy-addr also takes an IPv4 netmask after the slash (10.0.0.0/255.0.0.0).
    const mask = bits !== undefined && version === 4 && isIP(bits) === 4;
    if (version === 0 || (bits !== undefined && !mask && (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > max))) {
      throw new ConfigError(`${name}: "${entry}" is not an IP address, a CIDR (address/bits) or one of ${[...NAMED_RANGES].join(', ')}`);
    }
  }
  return entries;
}
