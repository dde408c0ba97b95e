import { newId } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { ChatContext } from '../context.js';
import type { ChatMessage, Conversation, LiveHub, People } from '../domain/types.js';
import { ChatErrors } from '../errors.js';
import { MessagingRepository, type Standing } from './messaging.repository.js';
import { notAMember, notFound, requireMember, type Actor } from './messaging.service.js';

/** A conversation in "my conversations". */
export interface ConversationItem extends Conversation {
  readonly lastMessage: ChatMessage | null;
  readonly unreadCount: number;
}

const notAGroup = (): AppError => new AppError(ChatErrors.NOT_A_GROUP, 'a direct conversation has no name and fixed members');
const notYourself = (): AppError => new AppError(ChatErrors.SELF_TARGET, 'a direct conversation needs another user');

/** The caller may manage the group: its owner, or an ADMIN (member or not). */
function requireManager(actor: Actor, standing: Standing | undefined): Standing {
  if (standing === undefined) throw notFound();
  if (standing.type !== 'group') throw notAGroup();
  if (actor.admin || standing.role === 'owner') return standing;
  if (standing.role === null) throw notAMember();
  throw new AppError('FORBIDDEN', 'only the owner of the group (or an ADMIN) manages it');
}

/** Conversations and their members: direct ones (one per pair) and groups (an owner, friends as members). */
export class ConversationsService {
  readonly #context: ChatContext;
  readonly #people: People;
  readonly #hub: LiveHub;
  readonly #repo = new MessagingRepository();

  constructor(context: ChatContext, people: People, hub: LiveHub) {
    this.#context = context;
    this.#people = people;
    this.#hub = hub;
  }

  /**
   * The pair's direct conversation: the existing one, else a new one when they are friends and
   * neither blocked the other. Concurrent creations meet on the unique `direct_key`.
   */
  async direct(me: string, otherId: string): Promise<{ conversation: Conversation; created: boolean }> {
    if (otherId === me) throw notYourself();
    if ((await this.#people.find(otherId)) === null) throw new AppError('NOT_FOUND', 'no such user');
    await this.#projectSelf(me);
    const { db, clock } = this.#context;
    const made = await db.transaction(async (tx) => {
      if (await this.#repo.blockedBetween(tx, me, otherId)) throw new AppError(ChatErrors.BLOCKED, 'one of you blocked the other');
      // An existing conversation outlives the friendship; a new one needs it.
      const existing = await this.#repo.directId(tx, me, otherId);
      if (existing !== undefined) return { id: existing, created: false };
      if (!(await this.#repo.friendsAmong(tx, me, [otherId])).has(otherId)) throw new AppError(ChatErrors.NOT_FRIENDS, 'you are not friends');
      return this.#repo.ensureDirect(tx, { id: newId(), me, other: otherId, at: clock.now() });
    });
    const conversation = await this.#view(db, made.id);
    if (made.created) this.#hub.deliver([me, otherId], { type: 'conversation.updated', conversation });
    return { conversation, created: made.created };
  }

  /** A group owned by its creator, with friends of theirs (none blocked either way) as members. */
  async group(me: string, rawName: string, memberIds: readonly string[]): Promise<Conversation> {
    const name = groupName(rawName);
    const others = [...new Set(memberIds)].filter((id) => id !== me);
    if (others.length + 1 > this.#context.env.CHAT_GROUP_MAX_MEMBERS) throw groupFull(this.#context.env.CHAT_GROUP_MAX_MEMBERS);
    await this.#projectSelf(me);
    const { db, clock } = this.#context;
    const id = newId();
    await db.transaction(async (tx) => {
      await this.#requireBefriended(tx, me, others);
      await this.#repo.insertGroup(tx, { id, owner: me, name, memberIds: others, at: clock.now() });
    });
    const conversation = await this.#view(db, id);
    this.#hub.deliver([me, ...others], { type: 'conversation.updated', conversation });
    return conversation;
  }

  /** My conversations, newest activity first, each with its last message and my unread count. */
  async list(me: string, page: { after: { at: Date; id: string } | undefined; take: number }): Promise<ConversationItem[]> {
    const { db } = this.#context;
    const rows = await this.#repo.listMine(db, me, page);
    const ids = rows.map((r) => r.id);
    const [members, last] = ids.length === 0 ? [[], []] : await Promise.all([this.#repo.members(db, ids), this.#repo.lastMessages(db, ids)]);
    const lastById = new Map(last.map((m) => [m.conversationId, m]));
    const membersById = new Map<string, Array<Conversation['members'][number]>>();
    for (const m of members) {
      const list = membersById.get(m.conversationId);
      if (list === undefined) membersById.set(m.conversationId, [m]);
      else list.push(m);
    }
    return rows.map((row) => ({
      ...toConversation(row, membersById.get(row.id) ?? []),
      lastMessage: lastById.get(row.id) ?? null,
      unreadCount: row.unreadCount,
    }));
  }

  /** A conversation its members (and ADMINs, who moderate) may see. */
  async get(actor: Actor, id: string): Promise<Conversation> {
    const standing = await this.#repo.standing(this.#context.db, id, actor.userId);
    if (!actor.admin) requireMember(standing);
    else if (standing === undefined) throw notFound();
    return this.#view(this.#context.db, id);
  }

  async rename(actor: Actor, id: string, rawName: string): Promise<Conversation> {
    const name = groupName(rawName);
    const { db, clock } = this.#context;
    await db.transaction(async (tx) => {
      requireManager(actor, await this.#repo.lockStanding(tx, id, actor.userId));
      await this.#repo.rename(tx, id, name, clock.now());
    });
    return this.#announce(id);
  }

  /** Adds friends of the caller (owner or ADMIN) to a group; those already in are kept as they are. */
  async addMembers(actor: Actor, id: string, userIds: readonly string[]): Promise<Conversation> {
    const { db, clock, env } = this.#context;
    const wanted = [...new Set(userIds)].filter((u) => u !== actor.userId);
    await db.transaction(async (tx) => {
      requireManager(actor, await this.#repo.lockStanding(tx, id, actor.userId));
      const present = new Set(await this.#repo.memberIds(tx, id));
      const added = wanted.filter((u) => !present.has(u));
      if (added.length === 0) return;
      if (present.size + added.length > env.CHAT_GROUP_MAX_MEMBERS) throw groupFull(env.CHAT_GROUP_MAX_MEMBERS);
      await this.#requireBefriended(tx, actor.userId, added);
      await this.#repo.addMembers(tx, id, added, clock.now());
      await this.#repo.touch(tx, id, clock.now());
    });
    return this.#announce(id);
  }

  /**
   * Anyone leaves; the owner (or an ADMIN) removes others. When the owner goes, the member who
   * joined first becomes owner; a group left by everyone stays, with no members.
   */
  async removeMember(actor: Actor, id: string, userId: string): Promise<void> {
    const { db, clock } = this.#context;
    await db.transaction(async (tx) => {
      const standing = await this.#repo.lockStanding(tx, id, actor.userId);
      if (userId === actor.userId) {
        if (requireMember(standing).type !== 'group') throw notAGroup();
      } else {
        requireManager(actor, standing);
      }
      const role = await this.#repo.removeMember(tx, id, userId);
      if (role === undefined) throw new AppError('NOT_FOUND', 'no such member');
      if (role === 'owner') await this.#repo.promoteOldest(tx, id);
      await this.#repo.touch(tx, id, clock.now());
    });
    this.#hub.deliver([userId], { type: 'conversation.removed', conversationId: id });
    await this.#announce(id);
  }

  /** The caller in the projection (their user.created may still be on its way), so that members show their name. */
  async #projectSelf(me: string): Promise<void> {
    if ((await this.#people.find(me)) === null) throw new AppError('NOT_FOUND', 'your account no longer exists');
  }

  /** Every one of `others` is a friend of `me`, and no block stands between them (checked first: a block ends friendships). */
  async #requireBefriended(q: Queryable, me: string, others: readonly string[]): Promise<void> {
    if (others.length === 0) return;
    if ((await this.#repo.blockedAmong(q, me, others)).length > 0) throw new AppError(ChatErrors.BLOCKED, 'a block stands between you and one of these users');
    const friends = await this.#repo.friendsAmong(q, me, others);
    const strangers = others.filter((u) => !friends.has(u));
    if (strangers.length > 0) throw new AppError(ChatErrors.NOT_FRIENDS, 'members must be your friends', { extensions: { userIds: strangers } });
  }

  /** Reads the conversation as committed and tells its members. */
  async #announce(id: string): Promise<Conversation> {
    const conversation = await this.#view(this.#context.db, id);
    this.#hub.deliver(
      conversation.members.map((m) => m.id),
      { type: 'conversation.updated', conversation },
    );
    return conversation;
  }

  async #view(q: Queryable, id: string): Promise<Conversation> {
    const [[row], members] = await Promise.all([this.#repo.conversations(q, [id]), this.#repo.members(q, [id])]);
    if (row === undefined) throw notFound();
    return toConversation(row, members);
  }
}

function groupName(raw: string): string {
  const name = raw.trim();
  if (name === '') throw new AppError('VALIDATION_FAILED', 'a group needs a name', { errors: [{ path: '/name', message: 'must not be empty' }] });
  return name;
}

const groupFull = (max: number): AppError => new AppError(ChatErrors.GROUP_FULL, `a group holds at most ${max} members`);

function toConversation(
  row: { id: string; type: 'direct' | 'group'; name: string | null; createdBy: string; lastSeq: number; createdAt: Date; updatedAt: Date; lastActivityAt: Date },
  members: ReadonlyArray<Conversation['members'][number]>,
): Conversation {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    createdBy: row.createdBy,
    members: members.map((m) => ({ id: m.id, displayName: m.displayName, role: m.role, readSeq: m.readSeq, deliveredSeq: m.deliveredSeq })),
    lastSeq: row.lastSeq,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastActivityAt: row.lastActivityAt.toISOString(),
  };
}
