import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Config sections of alarm management and access: where the gateway keeps its durable state, the limits
 * operators work within, and who may do what through the API.
 */

export const StoreSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      default: 'data/facility-gw.db',
      description:
        'SQLite database of alarm states, the audit log, notifications and acknowledge links (WAL, fsync on every commit). A relative path is taken from the working directory; its directory is created. `:memory:` keeps nothing across restarts (tests only)',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Durable state of the gateway' },
);

export const AckLinksSchema = Type.Object(
  {
    baseUrl: Type.String({
      pattern: '^https?://',
      description: 'Public URL of this gateway’s API as a phone reaches it (e.g. https://gw.example.com/); acknowledge links point below it',
    }),
    secret: Type.Optional(
      Type.String({
        minLength: 32,
        description: 'HMAC key of the links, at least 32 characters (use ${ENV}). Without it a random key is generated once and kept in the store. Changing it invalidates every link sent',
      }),
    ),
    expiryMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, default: 24 * 60, description: 'How long a link acknowledges' }),
  },
  { additionalProperties: false, description: 'Signed, single-use links in every push that acknowledge the alarm from a phone' },
);

export const AlarmManagementSchema = Type.Object(
  {
    maxShelveMinutes: Type.Integer({ minimum: 1, default: 8 * 60, description: 'Longest an operator may shelve an alarm' }),
    maxOutOfServiceHours: Type.Integer({ minimum: 1, default: 7 * 24, description: 'Longest an alarm may be out of service' }),
    chatter: Type.Object(
      {
        cycles: Type.Integer({ minimum: 2, default: 3, description: 'Raise/clear cycles that make an alarm chattering' }),
        windowSeconds: Type.Integer({ minimum: 1, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
    ackLinks: Type.Optional(AckLinksSchema),
  },
  { additionalProperties: false, default: {}, description: 'ISA-18.2 alarm management settings' },
);

export const Role = Type.Union([Type.Literal('viewer'), Type.Literal('technician'), Type.Literal('admin')], {
  description: 'viewer reads; technician also acknowledges, shelves, comments and resets; admin also takes alarms out of service',
});

export const ApiTokenSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'Who uses the token; recorded in the audit log as the actor' }),
    role: Role,
    token: Type.Optional(Type.String({ minLength: 16, description: 'The bearer token itself (use ${ENV}); at least 16 characters' })),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Or only its SHA-256, hex, so the file holds no secret' })),
  },
  { additionalProperties: false },
);

export const AuthSchema = Type.Object(
  {
    tokens: Type.Array(ApiTokenSchema, { default: [] }),
    anonymousRead: Type.Boolean({
      default: true,
      description: 'Reads (GET) need no token; writes always need one. false: every request but /health needs a token',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Bearer tokens of the API' },
);

export type StoreConfig = Static<typeof StoreSchema>;
export type AlarmManagementConfig = Static<typeof AlarmManagementSchema>;
export type AckLinksConfig = Static<typeof AckLinksSchema>;
export type AuthConfig = Static<typeof AuthSchema>;
export type ApiTokenConfig = Static<typeof ApiTokenSchema>;
export type ApiRole = Static<typeof Role>;

/** A section as configured, with every default filled in (a section left out is all defaults). */
export function withDefaults<S extends TSchema>(schema: S, section: Static<S> | undefined): Static<S> {
  return Value.Default(schema, structuredClone(section ?? {}));
}
