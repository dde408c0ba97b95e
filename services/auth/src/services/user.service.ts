
import type { Clock } from '@realchat/clock';
import { newId, type Role } from '@realchat/contracts';
import { isUniqueViolation, type Database, type Queryable } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { Logger } from '@realchat/logging';
import type { Identity, IdentityUser } from '@realchat/runtime';
import { BootstrapRepository } from '../repositories/bootstrap.repository.js';
import type { KeysetPosition } from '../repositories/keyset.js';
import { UserRepository, type UserRow } from '../repositories/user.repository.js';
import type { AuthEvents } from './outbox.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordService } from './password.service.js';
import type { RegisterThrottle } from './register-throttle.js';
import type { ClientMeta, RevokedSession, SessionService, TokenPair } from './session.service.js';
import { DeviceCookies } from '../crypto/device-cookie.js';
import { AuthErrors } from '../errors.js';

/** Emails compare equal whatever their case, Unicode form or surrounding space. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

export interface PublicUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly roles: Role[];
  readonly createdAt: string;
}

export const toPublicUser = (u: UserRow): PublicUser => ({
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  roles: u.roles,
  createdAt: u.createdAt.toISOString(),
});

// RFC 9110 11.6.1: every 401 carries a challenge; Bearer is the scheme the API's protected routes take.
const CREDENTIALS_CHALLENGE = { 'www-authenticate': 'Bearer realm="realchat"' };
const invalidCredentials = (detail = 'the email or the password is wrong'): AppError => new AppError(AuthErrors.INVALID_CREDENTIALS, detail, { headers: CREDENTIALS_CHALLENGE });

/** A login's outcome: the tokens, and the device cookie that marks this browser as one that signed in to the account. */
export interface LoginResult {
  readonly tokens: TokenPair;
  readonly deviceCookie: string;
}

/** What AUTH_BOOTSTRAP_ADMIN_EMAIL did at a start-up. */
export type BootstrapOutcome =
  /** The account was made ADMIN (the one bootstrap grant of this database). */
  | 'granted'
  /** A bootstrap grant was already made in this database: the setting is spent. */
  | 'already_granted'
  /** An administrator exists: bootstrap only ever creates the first one. */
  | 'admin_exists'
  /** No account has this address. */
  | 'no_account'
  /** The account was registered after the first start-up that named its address: never promoted. */
  | 'registered_after_configured';

/** A display name as stored: NFC, trimmed, never blank. */
function cleanDisplayName(raw: string): string {
  const displayName = raw.normalize('NFC').trim();
  if (displayName.length === 0) throw new AppError('VALIDATION_FAILED', 'displayName must not be blank', { errors: [{ path: '/displayName', message: 'must not be blank' }] });
  return displayName;
}

const toIdentityUser = (u: UserRow): IdentityUser => ({ id: u.id, displayName: u.displayName, roles: u.roles });

/** Accounts: registration, login, profile and roles; also the other services' user lookups in process (`Identity`). */
export class UserService implements Identity {
  readonly #db: Database;
  readonly #passwords: PasswordService;
  readonly #sessions: SessionService;
  readonly #throttle: LoginThrottle;
  readonly #registerThrottle: RegisterThrottle;
  readonly #events: AuthEvents;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #devices: DeviceCookies;
  readonly #users = new UserRepository();
  readonly #bootstrap = new BootstrapRepository();

  constructor(deps: {
    db: Database;
    passwords: PasswordService;
    sessions: SessionService;
    throttle: LoginThrottle;
    registerThrottle: RegisterThrottle;
    events: AuthEvents;
    clock: Clock;
    logger: Logger;
    /** Signs device cookies (derived from the key-encryption key, so every instance agrees). */
    deviceKey: Buffer;
  }) {
    this.#db = deps.db;
    this.#passwords = deps.passwords;
    this.#sessions = deps.sessions;
    this.#throttle = deps.throttle;
    this.#registerThrottle = deps.registerThrottle;
    this.#events = deps.events;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#devices = new DeviceCookies(deps.deviceKey);
  }

  /** Cheap checks first, then the per-IP limit, and only then the hash. */
  async register(input: { email: string; password: string; displayName: string }, meta: { ip: string }): Promise<PublicUser> {
    const email = normaliseEmail(input.email);
    const displayName = cleanDisplayName(input.displayName);
    this.#passwords.assertAcceptable(input.password, { email, path: '/password' });
    await this.#registerThrottle.admit(meta.ip);
    const now = this.#clock.now();
    const user: UserRow = { id: newId(), email, displayName, passwordHash: await this.#passwords.hash(input.password), roles: ['STUDENT'], createdAt: now };
    try {
      await this.#db.transaction(async (tx) => {
        await this.#users.insert(tx, user);
        await this.#events.record(tx, 'user.created', { userId: user.id, displayName, roles: user.roles, createdAt: now.toISOString() });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError(AuthErrors.EMAIL_TAKEN, 'an account with this email already exists', { cause: err });
      throw err;
    }
    this.#events.committed();
    return toPublicUser(user);
  }

  /**
   * Checks the limits first (a throttled attempt costs no hash); an unknown email pays one dummy
   * hash so it answers exactly like a wrong password. The account is looked up before the limits:
   * a browser with a device cookie of that account (`deviceCookie`) is held to its own per-device
   * limit, not to the account's, which strangers may have exhausted.
   */
  async login(input: { email: string; password: string }, meta: ClientMeta & { ip: string; deviceCookie?: string | undefined }): Promise<LoginResult> {
    const email = normaliseEmail(input.email);
    const user = await this.#users.findByEmail(this.#db, email);
    const deviceId = user === undefined ? undefined : this.#devices.deviceOf(meta.deviceCookie, user.id);
    const device = user === undefined || deviceId === undefined ? undefined : { userId: user.id, deviceId };
    await this.#throttle.admit(meta.ip, email, device);
    const ok = user === undefined ? (await this.#passwords.verifyAgainstDummy(input.password), false) : await this.#passwords.verify(input.password, user.passwordHash);
    if (user === undefined || !ok) {
      await this.#throttle.recordFailure(meta.ip, email, device);
      throw invalidCredentials();
    }
    await this.#throttle.recordSuccess(meta.ip, email, device);
    if (this.#passwords.needsRehash(user.passwordHash)) {
      await this.#users.updatePasswordHash(this.#db, user.id, await this.#passwords.hash(input.password), this.#clock.now(), { changed: false });
      this.#logger.info({ userId: user.id }, 'password hash upgraded to the current cost');
    }
    const tokens = await this.#sessions.start(user, meta);
    // The same device id again, so its failure count follows the browser.
    return { tokens, deviceCookie: this.#devices.issue(user.id, deviceId) };
  }

  async get(id: string): Promise<PublicUser> {
    const user = await this.#users.findById(this.#db, id);
    if (user === undefined) throw new AppError('NOT_FOUND', 'no such user');
    return toPublicUser(user);
  }

  async getByEmail(email: string): Promise<PublicUser> {
    const user = await this.#users.findByEmail(this.#db, normaliseEmail(email));
    if (user === undefined) throw new AppError('NOT_FOUND', 'no such user');
    return toPublicUser(user);
  }

  async findUser(id: string): Promise<IdentityUser | null> {
    const user = await this.#users.findById(this.#db, id);
    return user === undefined ? null : toIdentityUser(user);
  }

  async findUserByEmail(email: string): Promise<IdentityUser | null> {
    const user = await this.#users.findByEmail(this.#db, normaliseEmail(email));
    return user === undefined ? null : toIdentityUser(user);
  }

  /** Changes the user's display name and tells the other services (`user.updated`), in one transaction. */
  async updateProfile(id: string, input: { displayName: string }): Promise<PublicUser> {
    const displayName = cleanDisplayName(input.displayName);
    const user = await this.#db.transaction(async (tx) => {
      const found = await this.#users.findById(tx, id, { forUpdate: true });
      const updatedAt = await this.#users.updateDisplayName(tx, id, displayName, this.#clock.now());
      if (found === undefined || updatedAt === undefined) throw new AppError('NOT_FOUND', 'no such user');
      await this.#events.record(tx, 'user.updated', { userId: id, displayName, updatedAt: updatedAt.toISOString() });
      return { ...found, displayName };
    });
    this.#events.committed();
    return toPublicUser(user);
  }

  /** Users newest first, optionally by email prefix (normalised like emails): `limit` of them, plus one more when another page follows. */
  async list(page: { limit: number; after?: KeysetPosition | undefined; emailPrefix?: string | undefined }): Promise<UserRow[]> {
    const prefix = page.emailPrefix === undefined ? '' : normaliseEmail(page.emailPrefix);
    return this.#users.list(this.#db, { take: page.limit + 1, after: page.after, emailPrefix: prefix === '' ? undefined : prefix });
  }

  /** Changes the password and revokes every other session of the user. */
  async changePassword(userId: string, currentSessionId: string, input: { currentPassword: string; newPassword: string }, ip: string): Promise<void> {
    const user = await this.#users.findById(this.#db, userId);
    if (user === undefined) throw new AppError('NOT_FOUND', 'no such user');
    await this.#throttle.admit(ip, user.email);
    if (!(await this.#passwords.verify(input.currentPassword, user.passwordHash))) {
      await this.#throttle.recordFailure(ip, user.email);
      throw new AppError(AuthErrors.CURRENT_PASSWORD_INCORRECT, 'the current password is wrong');
    }
    this.#passwords.assertAcceptable(input.newPassword, { email: user.email, path: '/newPassword' });
    const hash = await this.#passwords.hash(input.newPassword);
    const revoked = await this.#db.transaction(async (tx) => {
      await this.#users.updatePasswordHash(tx, userId, hash, this.#clock.now(), { changed: true });
      return this.#sessions.revokeIn(tx, { userId, exceptSessionId: currentSessionId }, 'password_changed');
    });
    this.#sessions.applyRevoked(revoked);
  }

  /** Sets a user's roles (ADMIN only, checked by the route). Removing a role revokes the user's sessions. */
  async setRoles(actorId: string, targetId: string, roles: readonly Role[]): Promise<PublicUser> {
    const updated = await this.#db.transaction((tx) => this.#applyRoles(tx, actorId, targetId, roles));
    if (updated.changed) this.#events.committed();
    this.#sessions.applyRevoked(updated.revoked);
    return toPublicUser(updated.user);
  }

  async #applyRoles(tx: Queryable, actorId: string, targetId: string, roles: readonly Role[]): Promise<{ user: UserRow; changed: boolean; revoked: RevokedSession[] }> {
    const wanted = [...new Set<Role>(roles)].sort();
    // Before the target's row: two admins demoting each other at once must not both see two admins.
    const admins = wanted.includes('ADMIN') ? [] : await this.#users.lockAdmins(tx);
    const user = await this.#users.findById(tx, targetId, { forUpdate: true });
    if (user === undefined) throw new AppError('NOT_FOUND', 'no such user');
    const previous = [...user.roles].sort();
    if (previous.join() === wanted.join()) return { user, changed: false, revoked: [] };
    if (previous.includes('ADMIN') && !wanted.includes('ADMIN') && admins.length <= 1) {
      throw new AppError('CONFLICT', 'this would remove the last administrator');
    }
    const now = this.#clock.now();
    await this.#users.updateRoles(tx, targetId, wanted, now);
    await this.#events.record(tx, 'user.roles_changed', { userId: targetId, roles: wanted, previousRoles: previous, changedBy: actorId });
    // Access tokens carry roles: a removed role must not live on in them for 15 minutes.
    const revoked = previous.some((r) => !wanted.includes(r)) ? await this.#sessions.revokeIn(tx, { userId: targetId }, 'roles_changed') : [];
    return { user: { ...user, roles: wanted }, changed: true, revoked };
  }

  /**
   * AUTH_BOOTSTRAP_ADMIN_EMAIL at start-up. Whoever registers an address first owns it (emails are
   * not verified), so the grant is narrow: at most once per database, only while no administrator
   * exists, and only to an account registered no later than the first start-up that named the
   * address; an account registered afterwards (possibly by someone else) is never promoted. The
   * CLI's `admin grant` stays the explicit path.
   */
  async bootstrapAdmin(address: string): Promise<BootstrapOutcome> {
    const email = normaliseEmail(address);
    let outcome: BootstrapOutcome;
    try {
      outcome = await this.#db.transaction(async (tx): Promise<BootstrapOutcome> => {
        const armedAt = await this.#bootstrap.arm(tx, email, this.#clock.now());
        if (await this.#bootstrap.wasGranted(tx)) return 'already_granted';
        const user = await this.#users.findByEmail(tx, email);
        if (user === undefined) return 'no_account';
        if (user.createdAt.getTime() > armedAt.getTime()) return 'registered_after_configured';
        if ((await this.#users.lockAdmins(tx)).length > 0) return 'admin_exists';
        await this.#bootstrap.markGranted(tx, email, user.id, this.#clock.now());
        await this.#applyRoles(tx, user.id, user.id, [...user.roles, 'ADMIN']);
        return 'granted';
      });
    } catch (err) {
      // Another instance starting at the same moment recorded the grant first.
      if (isUniqueViolation(err)) return 'already_granted';
      throw err;
    }
    if (outcome === 'granted') this.#events.committed();
    return outcome;
  }

  /** Grants ADMIN to an existing account (the CLI's explicit path); false when there is no such account. */
  async grantAdmin(email: string): Promise<boolean> {
    const user = await this.#users.findByEmail(this.#db, normaliseEmail(email));
    if (user === undefined) return false;
    if (!user.roles.includes('ADMIN')) await this.setRoles(user.id, user.id, [...user.roles, 'ADMIN']);
    return true;
  }
}
