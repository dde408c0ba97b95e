import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { ConfigError, loadConfig } from '@realchat/config';
import { RuntimeEnvSchema } from '@realchat/runtime/env';
import { GatewayEnvSchema, toGatewayConfig } from '../src/index.js';

const Schema = Type.Object({ ...GatewayEnvSchema.properties, ...Type.Pick(RuntimeEnvSchema, ['TRUST_PROXY', 'BODY_LIMIT']).properties });

const configOf = (vars: Record<string, string>, discovery = false) => toGatewayConfig(loadConfig(Schema, vars), { discovery });

describe('GATEWAY_UPSTREAMS', () => {
  it('keeps the origin of each instance, a trailing slash dropped', () => {
    const config = configOf({ GATEWAY_UPSTREAMS: 'auth=http://a:1/,http://b:2;chat=http://c:3/' });
    expect(config.upstreams).toEqual({ auth: ['http://a:1', 'http://b:2'], chat: ['http://c:3'] });
  });

  it('refuses a base path, which the gateway would silently drop', () => {
    expect(() => configOf({ GATEWAY_UPSTREAMS: 'auth=http://a:1/base' })).toThrow(ConfigError);
    expect(() => configOf({ GATEWAY_UPSTREAMS: 'auth=http://a:1/base' })).toThrow(/^GATEWAY_UPSTREAMS: /);
  });
});

describe('GATEWAY_WEB_ROOT', () => {
  it('serves no web app unless set, and reads a relative folder from the working directory', () => {
    expect(configOf({}).web).toBe(false);
    expect(configOf({ GATEWAY_WEB_ROOT: 'apps/web/dist' }).web).toEqual({ root: join(process.cwd(), 'apps/web/dist') });
    expect(configOf({ GATEWAY_WEB_ROOT: '/srv/realchat/web' }).web).toEqual({ root: '/srv/realchat/web' });
  });
});

describe('TRUST_PROXY', () => {
  it('regression: refuses entries proxy-addr would misread or crash on, with a ConfigError naming the variable', () => {
    for (const value of ['1', 'TRUE', ' true ', 'abc', '10.0.0.0/33', '::1/129', '10.0.0.1,yes']) {
      expect(() => configOf({ TRUST_PROXY: value }), value).toThrow(ConfigError);
      expect(() => configOf({ TRUST_PROXY: value }), value).toThrow(/^TRUST_PROXY: /);
    }
  });

  it('accepts addresses, CIDRs and named ranges', () => {
    expect(configOf({ TRUST_PROXY: '10.0.0.1, 10.0.0.0/8,fd00::/8,::1,loopback' }).trustProxy).toEqual(['10.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback']);
    expect(configOf({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(configOf({}).trustProxy).toBe(false);
  });
});

describe('GATEWAY_METRICS_ALLOW', () => {
  it('defaults to loopback and is validated like TRUST_PROXY', () => {
    expect(configOf({}).metricsAllow).toEqual(['127.0.0.1/8', '::1']);
    expect(configOf({ GATEWAY_METRICS_ALLOW: '10.1.0.0/16, 2001:db8::/32' }).metricsAllow).toEqual(['10.1.0.0/16', '2001:db8::/32']);
    expect(() => configOf({ GATEWAY_METRICS_ALLOW: 'everyone' })).toThrow(/^GATEWAY_METRICS_ALLOW: /);
  });
});

describe('GATEWAY_REQUIRED_SERVICES', () => {
  it('names no service by default (the statically configured ones always count) and takes any service name', () => {
    expect(configOf({}).requiredServices).toEqual([]);
    expect(configOf({ GATEWAY_REQUIRED_SERVICES: 'auth, forum' }, true).requiredServices).toEqual(['auth', 'forum']);
    expect(configOf({ GATEWAY_REQUIRED_SERVICES: 'billing' }).requiredServices).toEqual(['billing']);
    expect(configOf({ GATEWAY_REQUIRED_SERVICES: 'all' }).requiredServices).toBe('all');
    expect(() => configOf({ GATEWAY_REQUIRED_SERVICES: 'Billing!' })).toThrow(/^GATEWAY_REQUIRED_SERVICES: /);
  });
});
