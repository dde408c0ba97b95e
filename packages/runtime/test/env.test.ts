import { describe, expect, it } from 'vitest';
import { trustProxyOf } from '@realchat/runtime';

describe('runtime environment', () => {
  it('reads TRUST_PROXY for every process: false, true, or a validated address list', () => {
    expect(trustProxyOf('false')).toBe(false);
    expect(trustProxyOf(' FALSE ')).toBe(false);
    expect(trustProxyOf('True')).toBe(true);
    expect(trustProxyOf('127.0.0.1,10.0.0.0/8')).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(() => trustProxyOf('1')).toThrow(/TRUST_PROXY: "1"/);
  });
});
