
import type { Clock } from '@realchat/clock';
import { newId, type Role } from '@realchat/contracts';
import { isUniqueViolation, type Database } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { Logger } from '@realchat/logging';
import { UserRepository, type UserRow } from '../repositories/user.repository.js';
import type { AuthEvents } from './outbox.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordService } from './password.service.js';
import type { ClientMeta, SessionService, TokenPair } from './session.service.js';

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

const invalidCredentials = (): AppError => new AppError('INVALID_CREDENTIALS', 'the email or the password is wrong');

export class UserService {
  readonly #db: Database;
  readonly #passwords: PasswordService;
  readonly #sessions: SessionService;
  readonly #throttle: LoginThrottle;
  readonly #events: AuthEvents;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #users = new UserRepository();

  constructor(deps: {
    db: Database;
    passwords: PasswordService;
    sessions: SessionService;
    throttle: LoginThrottle;
    events: AuthEvents;
    clock: Clock;
    logger: Logger;
  }) {
    this.#db = deps.db;
    this.#passwords = deps.passwords;
    this.#sessions = deps.sessions;
    this.#throttle = deps.throttle;
    this.#events = deps.events;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  async register(input: { email: string; password: string; displayName: string }): Promise<PublicUser> {
    const email = normaliseEmail(input.email);
    const displayName = input.displayName.normalize('NFC').trim();
    if (displayName.length === 0) throw new AppError('VALIDATION_FAILED', 'displayName must not be blank', { errors: [{ path: '/displayName', message: 'must not be blank' }] });
    this.#passwords.assertAcceptable(input.password, { email, path: '/password' });
    const now = this.#clock.now();
    const user: UserRow = { id: newId(), email, displayName, passwordHash: await this.#passwords.hash(input.password), roles: ['STUDENT'], createdAt: now };
    try {
      await this.#db.transaction(async (tx) => {
        await this.#users.insert(tx, user);
        await this.#events.record(tx, 'user.created', { userId: user.id, displayName, roles: user.roles, createdAt: now.toISOString() });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('EMAIL_TAKEN', 'an account with this email already exists', { cause: err });
      throw err;
    }
    this.#events.committed();
    return toPublicUser(user);
  }

  /**
   * Checks the limits first (a throttled attempt costs no hash); an unknown email pays one dummy
   * hash so it answers exactly like a wrong password.
   */
  async login(input: { email: string; password: string }, meta: ClientMeta & { ip: string }): Promise<TokenPair> {
    const email = normaliseEmail(input.email);
    await this.#throttle.admit(meta.ip, email);
    const user = await this.#users.findByEmail(this.#db, email);
    const ok = user === undefined ? (await this.#passwords.verifyAgainstDummy(input.password), false) : await this.#passwords.verify(input.password, user.passwordHash);
    if (user === undefined || !ok) {
      await this.#throttle.recordFailure(meta.ip, email);
      throw invalidCredentials();
    }
    await this.#throttle.recordSuccess(meta.ip, email);
    if (this.#passwords.needsRehash(user.passwordHash)) {
      await this.#users.updatePasswordHash(this.#db, user.id, await this.#passwords.hash(input.password), this.#clock.now(), { changed: false });
      this.#logger.info({ userId: user.id }, 'password hash upgraded to the current cost');
    }
    return this.#sessions.start(user, meta);
  }

  async get(id: string): Promise<PublicUser> {
    const user = await this.#users.findById(this.#db, id);
    if (user === undefined) throw new AppError('NOT_FOUND', 'no such user');
    return toPublicUser(user);
  }

  /** Changes the password and revokes every other session of the user. */
  async changePassword(userId: string, currentSessionId: string, input: { currentPassword: string; newPassword: string }, ip: string): Promise<void> {
    const user = await this.#users.findById(this.#db, userId);
    if (user === undefined) throw new AppError('NOT_FOUND', 'no such user');
    await this.#throttle.admit(ip, user.email);
    if (!(await this.#passwords.verify(input.currentPassword, user.passwordHash))) {
      await this.#throttle.recordFailure(ip, user.email);
      throw new AppError('INVALID_CREDENTIALS', 'the current password is wrong');
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
    const wanted = [...new Set<Role>(roles)].sort();
    const updated = await this.#db.transaction(async (tx) => {
      const user = await this.#users.findById(tx, targetId, { forUpdate: true });
      if (user === undefined) throw new AppError('NOT_FOUND', 'no such user');
      const previous = [...user.roles].sort();
      if (previous.join() === wanted.join()) return { user, changed: false, revoked: [] };
      if (previous.includes('ADMIN') && !wanted.includes('ADMIN') && (await this.#users.countAdmins(tx)) <= 1) {
        throw new AppError('CONFLICT', 'this would remove the last administrator');
      }
      const now = this.#clock.now();
      await this.#users.updateRoles(tx, targetId, wanted, now);
      await this.#events.record(tx, 'user.roles_changed', { userId: targetId, roles: wanted, previousRoles: previous, changedBy: actorId });
      // Access tokens carry roles: a removed role must not live on in them for 15 minutes.
      const revoked = previous.some((r) => !wanted.includes(r)) ? await this.#sessions.revokeIn(tx, { userId: targetId }, 'roles_changed') : [];
      return { user: { ...user, roles: wanted }, changed: true, revoked };
    });
    if (updated.changed) this.#events.committed();
    this.#sessions.applyRevoked(updated.revoked);
    return toPublicUser(updated.user);
  }

  /** Grants ADMIN to an existing account (start-up configuration and the CLI); false when there is no such account. */
  async grantAdmin(email: string): Promise<boolean> {
    const user = await this.#users.findByEmail(this.#db, normaliseEmail(email));
    if (user === undefined) return false;
    if (!user.roles.includes('ADMIN')) await this.setRoles(user.id, user.id, [...user.roles, 'ADMIN']);
    return true;
  }
}
