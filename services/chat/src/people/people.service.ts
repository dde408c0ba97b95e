import { createEventOf, newId } from '@realchat/contracts';
import { isUniqueViolation, type Queryable } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { Profiles } from '@realchat/profiles';
import type { Identity, IdentityUser } from '@realchat/runtime';
import type { ChatContext } from '../context.js';
import type { FriendshipWatcher, People, UserSummary } from '../domain/types.js';
import { ChatErrors } from '../errors.js';
import { FriendRequestAccepted, FriendRequestCreated } from '../events.js';
import { PeopleRepository, type DatedRequest, type DatedUser, type FriendRequestRow, type PagePosition } from './people.repository.js';

/** A friend request as its sender or recipient sees it: `user` is the other one. */
export interface FriendRequestView {
  readonly id: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly status: 'pending' | 'accepted';
  readonly user: UserSummary;
  readonly createdAt: string;
}

/** A user listed with the time of the relation (a friend since, a block at). */
export interface DatedSummary extends UserSummary {
  readonly at: Date;
}

const noSuchUser = (): AppError => new AppError('NOT_FOUND', 'no such user');
const noSuchRequest = (): AppError => new AppError('NOT_FOUND', 'no such pending friend request for you');
const notYourself = (): AppError => new AppError(ChatErrors.SELF_TARGET, 'this cannot name yourself');

/** What a request resolved to: a new pending request, or the other user's pending one, accepted. */
type RequestOutcome = { readonly kind: 'created' | 'accepted'; readonly request: FriendRequestRow };

/** The rules of friends and blocks, and the `People` seam the other parts use. */
export class PeopleService implements People {
  readonly #context: ChatContext;
  readonly #identity: Identity;
  readonly #profiles: Profiles;
  readonly #repo = new PeopleRepository();
  /** Requests by email still being made after their answer left. */
  readonly #background = new Set<Promise<void>>();
  #watcher: FriendshipWatcher | undefined;

  constructor(context: ChatContext, profiles: Profiles) {
    this.#context = context;
    this.#identity = context.identity;
    this.#profiles = profiles;
  }

  /** Who hears of friendships starting and ending (the live layer, made after people). */
  watch(watcher: FriendshipWatcher): void {
    this.#watcher = watcher;
  }

  async find(userId: string): Promise<UserSummary | null> {
    return this.#profiles.find(userId);
  }

  async friendIds(userId: string): Promise<readonly string[]> {
    return this.#repo.friendIds(this.#context.db, userId);
  }

  async blockedBetween(a: string, b: string): Promise<boolean> {
    return this.#repo.isBlockedBetween(this.#context.db, a, b);
  }

  /** Summaries of `ids` by id, from the projection and, for those it lacks, from auth. */
  async #summaries(ids: readonly string[]): Promise<Map<string, UserSummary>> {
    return this.#profiles.findMany(ids);
  }

  /** A request by user id: 404 for an unknown user, and every rule said with its code. */
  async requestById(me: string, targetId: string): Promise<FriendRequestView> {
    if (targetId === me) throw notYourself();
    const target = await this.find(targetId);
    if (target === null) throw noSuchUser();
    await this.#requireSelf(me);
    const outcome = await this.#request(me, target.id);
    return this.#view(me, outcome.request, outcome.kind === 'accepted' ? 'accepted' : 'pending', target);
  }

  /**
   * A request by email. The caller learns nothing of the address (unknown, blocked, already a
   * friend: the same 202) and cannot time it either: the answer may leave once auth was asked,
   * which costs the same for an account as for none; the request itself is the returned task, to
   * run after the answer left (202 Accepted), its refusals kept to itself.
   */
  async requestByEmail(me: string, email: string): Promise<() => void> {
    const asOf = this.#context.clock.now();
    const found = await this.#identity.findUserByEmail(email);
    if (found?.id === me) throw notYourself();
    return () => {
      if (found === null) return;
      const work = this.#requestFound(me, found, asOf).finally(() => this.#background.delete(work));
      this.#background.add(work);
    };
  }

  async #requestFound(me: string, found: IdentityUser, asOf: Date): Promise<void> {
    try {
      await this.#profiles.remember(found, asOf);
      await this.#requireSelf(me);
      await this.#request(me, found.id);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return;
      this.#context.logger.warn({ err }, 'a friend request by email failed');
    }
  }

  /** Resolves once the requests by email made so far are done (stop waits for them). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#background]);
  }

  /**
   * One transaction under the pair's lock: blocked → BLOCKED, friends → ALREADY_FRIENDS, my
   * pending request → FRIEND_REQUEST_PENDING, theirs → accepted (both want it), else a new one.
   */
  async #request(me: string, other: string): Promise<RequestOutcome> {
    const { db, clock, outbox } = this.#context;
    let outcome: RequestOutcome;
    try {
      outcome = await db.transaction(async (tx): Promise<RequestOutcome> => {
        await this.#repo.lockPair(tx, me, other);
        if (await this.#repo.isBlockedBetween(tx, me, other)) throw new AppError(ChatErrors.BLOCKED, 'one of you blocked the other');
        if (await this.#repo.areFriends(tx, me, other)) throw new AppError(ChatErrors.ALREADY_FRIENDS, 'you are friends already');
        const pending = await this.#repo.findPendingBetween(tx, me, other);
        if (pending?.fromUser === me) throw new AppError(ChatErrors.FRIEND_REQUEST_PENDING, 'your request is pending already');
        if (pending !== undefined) return { kind: 'accepted', request: await this.#accept(tx, pending) };
        const request = { id: newId(), fromUser: me, toUser: other, status: 'pending' as const, createdAt: clock.now() };
        await this.#repo.insertRequest(tx, request);
        await outbox.append(tx, createEventOf(FriendRequestCreated, { requestId: request.id, fromUserId: me, toUserId: other, createdAt: request.createdAt.toISOString() }, { producer: 'chat', occurredAt: request.createdAt }));
        return { kind: 'created', request };
      });
    } catch (err) {
      // The pair lock makes this unreachable while both rows are projected; it still must not be a 500.
      if (isUniqueViolation(err)) throw new AppError(ChatErrors.FRIEND_REQUEST_PENDING, 'a request between you is pending already', { cause: err });
      throw err;
    }
    outbox.committed();
    if (outcome.kind === 'accepted') this.#watcher?.befriended(me, other);
    return outcome;
  }

  /** Accepts a pending request (the pair is locked): the friendship and the event, in `tx`. */
  async #accept(tx: Queryable, request: FriendRequestRow): Promise<FriendRequestRow> {
    const now = this.#context.clock.now();
    if (!(await this.#repo.answerRequest(tx, request.id, 'accepted', now))) throw noSuchRequest();
    await this.#repo.insertFriendship(tx, request.fromUser, request.toUser, now);
    await this.#context.outbox.append(
      tx,
      createEventOf(FriendRequestAccepted, { requestId: request.id, fromUserId: request.fromUser, toUserId: request.toUser, acceptedAt: now.toISOString() }, { producer: 'chat', occurredAt: now }),
    );
    return { ...request, status: 'accepted' };
  }

  /** The recipient accepts: the new friend, with the time of the friendship. */
  async accept(me: string, requestId: string): Promise<DatedSummary> {
    const request = await this.#pendingFor(me, requestId, 'toUser');
    const { db, outbox } = this.#context;
    const since = await db.transaction(async (tx) => {
      await this.#repo.lockPair(tx, request.fromUser, request.toUser);
      await this.#accept(tx, request);
      return (await this.#repo.friendSince(tx, request.fromUser, request.toUser)) ?? this.#context.clock.now();
    });
    outbox.committed();
    this.#watcher?.befriended(request.fromUser, request.toUser);
    const friend = (await this.#summaries([request.fromUser])).get(request.fromUser) ?? { id: request.fromUser, displayName: '' };
    return { ...friend, at: since };
  }

  /** The recipient declines, or the sender cancels. */
  async answer(me: string, requestId: string, status: 'declined' | 'cancelled'): Promise<void> {
    const request = await this.#pendingFor(me, requestId, status === 'declined' ? 'toUser' : 'fromUser');
    const answered = await this.#context.db.transaction(async (tx) => {
      await this.#repo.lockPair(tx, request.fromUser, request.toUser);
      return this.#repo.answerRequest(tx, request.id, status, this.#context.clock.now());
    });
    if (!answered) throw noSuchRequest();
  }

  /** The pending request `requestId` when `me` is its `side`; 404 for anyone else, as for none. */
  async #pendingFor(me: string, requestId: string, side: 'toUser' | 'fromUser'): Promise<FriendRequestRow> {
    const request = await this.#repo.findRequest(this.#context.db, requestId);
    if (request === undefined || request.status !== 'pending' || request[side] !== me) throw noSuchRequest();
    return request;
  }

  async listRequests(me: string, page: { direction: 'incoming' | 'outgoing' | undefined; after: PagePosition | undefined; take: number }): Promise<Array<DatedRequest & { view: FriendRequestView }>> {
    const rows = await this.#repo.listPending(this.#context.db, me, page);
    const users = await this.#summaries(rows.map((r) => r.otherId));
    return rows.map((r) => ({ ...r, view: this.#view(me, r, 'pending', users.get(r.otherId) ?? { id: r.otherId, displayName: '' }) }));
  }

  async listFriends(me: string, page: { after: PagePosition | undefined; take: number }): Promise<DatedSummary[]> {
    return this.#dated(await this.#repo.listFriends(this.#context.db, me, page));
  }

  async unfriend(me: string, userId: string): Promise<void> {
    const removed = await this.#context.db.transaction(async (tx) => {
      await this.#repo.lockPair(tx, me, userId);
      return this.#repo.deleteFriendship(tx, me, userId);
    });
    if (!removed) throw new AppError('NOT_FOUND', 'this user is not your friend');
    this.#watcher?.parted(me, userId);
  }

  /** Blocks `userId` (idempotent): ends the friendship and cancels the pending requests both ways. */
  async block(me: string, userId: string): Promise<DatedSummary> {
    if (userId === me) throw notYourself();
    const target = await this.find(userId);
    if (target === null) throw noSuchUser();
    await this.#requireSelf(me);
    const { at, parted } = await this.#context.db.transaction(async (tx) => {
      await this.#repo.lockPair(tx, me, userId);
      const now = this.#context.clock.now();
      const ended = await this.#repo.deleteFriendship(tx, me, userId);
      await this.#repo.cancelPendingBetween(tx, me, userId, now);
      return { at: await this.#repo.block(tx, me, userId, now), parted: ended };
    });
    if (parted) this.#watcher?.parted(me, userId);
    return { ...target, at };
  }

  async unblock(me: string, userId: string): Promise<void> {
    await this.#repo.unblock(this.#context.db, me, userId);
  }

  async listBlocked(me: string, page: { after: PagePosition | undefined; take: number }): Promise<DatedSummary[]> {
    return this.#dated(await this.#repo.listBlocked(this.#context.db, me, page));
  }

  async #dated(rows: readonly DatedUser[]): Promise<DatedSummary[]> {
    const users = await this.#summaries(rows.map((r) => r.id));
    return rows.map((r) => ({ ...(users.get(r.id) ?? { id: r.id, displayName: '' }), at: r.at }));
  }

  /** The caller in the projection too, so that the pair lock holds both rows. */
  async #requireSelf(me: string): Promise<void> {
    if ((await this.find(me)) === null) throw new AppError('NOT_FOUND', 'your account no longer exists');
  }

  #view(me: string, request: FriendRequestRow, status: 'pending' | 'accepted', other: UserSummary): FriendRequestView {
    return { id: request.id, direction: request.fromUser === me ? 'outgoing' : 'incoming', status, user: other, createdAt: request.createdAt.toISOString() };
  }
}
