import { Type, type Static } from 'typebox';

/** Where a service's OpenAPI document carries its manifest. */
export const SERVICE_MANIFEST_MEMBER = 'x-realchat-service';

const Names = Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_:-]+$' }), { maxItems: 50 });
const RoutePath = Type.String({ minLength: 1, maxLength: 500, pattern: '^/' });

/**
 * What a service publishes about itself for a gateway that does not host it: its prefixes, the
 * access rule of each of its routes and its WebSocket endpoints. Checked on arrival like any input.
 */
export const ServiceManifestSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 50 }),
    prefixes: Type.Array(Type.String({ pattern: '^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$', maxLength: 200 }), { minItems: 1, maxItems: 20 }),
    access: Type.Array(
      Type.Object({
        path: RoutePath,
        methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$', maxLength: 20 }), { maxItems: 10 })),
        auth: Type.Union([Type.Literal('required'), Type.Literal('optional'), Type.Literal('none')]),
        roles: Type.Optional(Names),
        scopes: Type.Optional(Names),
      }),
      { maxItems: 2000 },
    ),
    websockets: Type.Array(RoutePath, { maxItems: 50 }),
  },
  { additionalProperties: true },
);

export type ServiceManifest = Static<typeof ServiceManifestSchema>;
