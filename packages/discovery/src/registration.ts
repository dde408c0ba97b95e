import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/** Every registry key starts with this; the gateway scans it. */
export const REGISTRY_PREFIX = 'registry:';

/** What one service instance announces about itself. */
export const RegistrationSchema = Type.Object(
  {
    service: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }),
    instanceId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$' }),
    url: Type.String({ pattern: '^https?://[^\\s/?#]+/?$' }),
  },
  { additionalProperties: false },
);

/** A live service instance as found in the registry. */
export type Registration = Static<typeof RegistrationSchema>;

const check = Compile(RegistrationSchema);

export function registryKey(service: string, instanceId: string): string {
  return `${REGISTRY_PREFIX}${service}:${instanceId}`;
}

/** Parses a registry value; anything malformed (another writer, a bad instance) yields undefined. */
export function parseRegistration(raw: string): Registration | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  // The pattern lets through hosts no URL parser takes (`http://[::1`, a port above 65535).
  return check.Check(value) && URL.canParse(value.url) ? value : undefined;
}
