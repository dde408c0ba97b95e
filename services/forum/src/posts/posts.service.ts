import { createEventOf, newId } from '@realchat/contracts';
import { constraintOf } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { Profiles, UserSummary } from '@realchat/profiles';
import type { ForumContext } from '../context.js';
import { ForumErrors } from '../errors.js';
import { ForumPostCreated } from '../events.js';
import type { Actor } from '../http.js';
import { resolveMentions } from '../mentions.js';
import { plainText } from '../text.js';
import { PostsRepository, type PostPosition, type PostRow } from './posts.repository.js';

/** Longest title, in characters (the event contracts carry it whole). */
export const TITLE_MAX = 200;

/** A post as clients see it. */
export interface Post {
  readonly id: string;
  readonly categoryId: string;
  readonly title: string;
  readonly body: string;
  readonly bodyFormat: 'text/plain';
  readonly author: UserSummary;
  readonly pinned: boolean;
  readonly locked: boolean;
  readonly commentCount: number;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly lastActivityAt: string;
}

const noSuchPost = (): AppError => new AppError('NOT_FOUND', 'no such post');
const noSuchCategory = (cause?: unknown): AppError => new AppError('NOT_FOUND', 'no such category', cause === undefined ? {} : { cause });

/** Posts: anyone signed in reads and writes; the author edits; the author or an ADMIN deletes; ADMIN pins and locks. */
export class PostsService {
  readonly #context: ForumContext;
  readonly #profiles: Profiles;
  readonly #repo = new PostsRepository();

  constructor(context: ForumContext, profiles: Profiles) {
    this.#context = context;
    this.#profiles = profiles;
  }

  async #views(rows: readonly PostRow[]): Promise<Post[]> {
    const authors = await this.#profiles.findMany([...new Set(rows.map((r) => r.authorId))]);
    return rows.map((row) => ({
      id: row.id,
      categoryId: row.categoryId,
      title: row.title,
      body: row.body,
      bodyFormat: 'text/plain',
      author: authors.get(row.authorId) ?? { id: row.authorId, displayName: '' },
      pinned: row.pinned,
      locked: row.locked,
      commentCount: row.commentCount,
      createdAt: row.createdAt.toISOString(),
      editedAt: row.editedAt?.toISOString() ?? null,
      lastActivityAt: row.lastActivityAt.toISOString(),
    }));
  }

  async #view(row: PostRow): Promise<Post> {
    return (await this.#views([row]))[0]!;
  }

  /** Publishes a post and forum.post.created (with the users its title and body mention), in one transaction. */
  async create(actor: Actor, input: { categoryId: string; title: string; body: string }): Promise<Post> {
    const title = plainText(input.title, '/title', TITLE_MAX);
    const body = plainText(input.body, '/body', this.#context.env.FORUM_POST_MAX_LENGTH);
    const { db, clock, outbox } = this.#context;
    const mentioned = await resolveMentions(this.#profiles, `${title}\n${body}`, actor.userId);
    const at = clock.now();
    let row: PostRow;
    try {
      row = await db.transaction(async (tx) => {
        const inserted = await this.#repo.insert(tx, { id: newId(), categoryId: input.categoryId, authorId: actor.userId, title, body, at });
        await outbox.append(
          tx,
          createEventOf(
            ForumPostCreated,
            { postId: inserted.id, categoryId: inserted.categoryId, authorId: actor.userId, title, mentionedUserIds: mentioned, createdAt: at.toISOString() },
            { producer: 'forum', occurredAt: at },
          ),
        );
        return inserted;
      });
    } catch (err) {
      if (constraintOf(err) === 'posts_category_id_fkey') throw noSuchCategory(err);
      throw err;
    }
    outbox.committed();
    return this.#view(row);
  }

  async get(id: string): Promise<Post> {
    const row = await this.#repo.find(this.#context.db, id);
    if (row === undefined) throw noSuchPost();
    return this.#view(row);
  }

  /** The author edits the title and body (no event: mentions are told once, when the post is published). */
  async edit(actor: Actor, id: string, input: { title?: string | undefined; body?: string | undefined }): Promise<Post> {
    const change = {
      title: input.title === undefined ? undefined : plainText(input.title, '/title', TITLE_MAX),
      body: input.body === undefined ? undefined : plainText(input.body, '/body', this.#context.env.FORUM_POST_MAX_LENGTH),
      at: this.#context.clock.now(),
    };
    const row = await this.#context.db.transaction(async (tx) => {
      const post = await this.#repo.lock(tx, id);
      if (post === undefined) throw noSuchPost();
      if (post.authorId !== actor.userId) throw new AppError(ForumErrors.NOT_THE_AUTHOR, 'only the author edits a post');
      return this.#repo.edit(tx, id, change);
    });
    return this.#view(row!);
  }

  /** The author or an ADMIN deletes the post, with its comments. */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.#context.db.transaction(async (tx) => {
      const post = await this.#repo.lock(tx, id);
      if (post === undefined) throw noSuchPost();
      if (post.authorId !== actor.userId && !actor.admin) throw new AppError(ForumErrors.NOT_THE_AUTHOR, 'only the author or an ADMIN deletes a post');
      await this.#repo.delete(tx, id);
    });
  }

  /** Pins or locks (true) or releases (false); idempotent. The route admits ADMIN only. */
  async setFlag(id: string, flag: 'pinned' | 'locked', value: boolean): Promise<Post> {
    const row = await this.#repo.setFlag(this.#context.db, id, flag, value);
    if (row === undefined) throw noSuchPost();
    return this.#view(row);
  }

  async listByCategory(categoryId: string, page: { after: PostPosition | undefined; take: number }): Promise<Post[]> {
    const rows = await this.#repo.listByCategory(this.#context.db, categoryId, page);
    if (rows.length === 0 && !(await this.#repo.categoryExists(this.#context.db, categoryId))) throw noSuchCategory();
    return this.#views(rows);
  }
}
