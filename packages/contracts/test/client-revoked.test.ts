import { describe, expect, it } from 'vitest';
import { ClientRevoked, createEvent, eventCatalog, InvalidEventError, isEvent, parseEnvelope } from '../src/index.js';

describe('client.revoked', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const data = { clientId: 'svc_abc', accessTokenExpiresAt: '2026-01-01T00:15:00.000Z' };

  it('is in the catalog at version 1 and builds a valid envelope', () => {
    expect(eventCatalog['client.revoked']).toBe(ClientRevoked);
    const event = createEvent('client.revoked', data, { producer: 'auth', occurredAt: at });
    expect(event).toMatchObject({ type: 'client.revoked', version: 1, producer: 'auth', occurredAt: at.toISOString(), data });
    expect(isEvent(parseEnvelope(event), 'client.revoked')).toBe(true);
  });

  it.each([
    ['an empty client id', { ...data, clientId: '' }],
    ['no expiry', { clientId: 'svc_abc' }],
    ['an expiry that is not a date-time', { ...data, accessTokenExpiresAt: 'later' }],
    ['an extra property', { ...data, sessionId: 'x' }],
  ])('refuses %s', (_name, bad) => {
    const event = createEvent('client.revoked', data, { producer: 'auth', occurredAt: at });
    expect(() => parseEnvelope({ ...event, data: bad })).toThrow(InvalidEventError);
  });
});
