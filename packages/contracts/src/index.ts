export { EnvelopeSchema, defineEvent, type EventEnvelope, type EventDefinition } from './envelope.js';
export {
  UserCreated,
  UserUpdated,
  UserRolesChanged,
  SessionStarted,
  SessionRevoked,
  ClientRevoked,
  TokenRevoked,
  RoleSchema,
  ROLES,
  eventCatalog,
  type Role,
  type EventType,
  type EventDataOf,
  type UserCreatedData,
  type UserUpdatedData,
  type UserRolesChangedData,
  type SessionStartedData,
  type SessionRevokedData,
  type ClientRevokedData,
  type TokenRevokedData,
} from './events.js';
export { parseEnvelope, isEvent, createEvent, createEventOf, isEventOf, registerEvents, InvalidEventError } from './validate.js';
export { newId } from './ids.js';
