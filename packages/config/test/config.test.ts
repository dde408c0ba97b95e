import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { ConfigError, loadConfig, parseAddressList, parseDuration } from '@realchat/config';

const schema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  MODE: Type.Union([Type.Literal('embedded'), Type.Literal('distributed')], { default: 'embedded' }),
  SECRET: Type.String({ minLength: 8 }),
  RATE: Type.Optional(Type.Number()),
});

describe('loadConfig', () => {
  it('converts strings, applies defaults and freezes the result', () => {
    const config = loadConfig(schema, { PORT: '9000', SECRET: 'abcdefgh', OTHER: 'ignored' });
    expect(config).toEqual({ PORT: 9000, MODE: 'embedded', SECRET: 'abcdefgh' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every wrong variable with the value it got', () => {
    expect(() => loadConfig(schema, { PORT: 'eighty', MODE: 'cluster' })).toThrow(ConfigError);
    try {
      loadConfig(schema, { PORT: 'eighty', SECRET: 'abcdefgh' });
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT .*"eighty"/);
    }
    expect(() => loadConfig(schema, { PORT: '1' })).toThrow(/SECRET/);
  });

  it('refuses an integer variable written as anything but a whole number, instead of truncating it', () => {
    for (const value of ['1.5', '1e3', '0x10', '8080abc']) {
      expect(() => loadConfig(schema, { PORT: value, SECRET: 'abcdefgh' })).toThrow(`invalid configuration: PORT must be a whole number (got "${value}")`);
    }
    expect(loadConfig(schema, { PORT: ' 81 ', SECRET: 'abcdefgh' }).PORT).toBe(81);
  });

  it('parses durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30')).toBe(30_000);
    expect(() => parseDuration('soon')).toThrow(ConfigError);
  });

  it('parses address lists entry by entry, naming the variable and the bad entry', () => {
    expect(parseAddressList('X', ' 10.0.0.0/8, ::1 ,loopback,10.0.0.0/255.0.0.0')).toEqual(['10.0.0.0/8', '::1', 'loopback', '10.0.0.0/255.0.0.0']);
    for (const bad of ['1', 'TRUE', 'abc', '10.0.0.0/33', '::1/129', '10.0.0.1/x', '::1/255.0.0.0']) {
      expect(() => parseAddressList('X', bad)).toThrow(new ConfigError(`X: "${bad}" is not an IP address, a CIDR (address/bits) or one of loopback, linklocal, uniquelocal`));
    }
  });
});
