import { createEventOf, newId } from '@realchat/contracts';
import { AppError } from '@realchat/errors';
import type { Profiles, UserSummary } from '@realchat/profiles';
import type { ForumContext } from '../context.js';
import { ForumErrors } from '../errors.js';
import { ForumCommentCreated } from '../events.js';
import type { Actor } from '../http.js';
import { resolveMentions } from '../mentions.js';
import { PostsRepository } from '../posts/posts.repository.js';
import { plainText, preview } from '../text.js';
import { CommentsRepository, type CommentRow } from './comments.repository.js';

/** A comment as clients see it. A deleted one keeps its place (its replies hang on it) with an empty body. */
export interface Comment {
  readonly id: string;
  readonly postId: string;
  /** Its position in the post, from 1: the order of the list and its cursor. */
  readonly seq: number;
  readonly parentId: string | null;
  readonly body: string;
  readonly bodyFormat: 'text/plain';
  readonly author: UserSummary;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deletedAt: string | null;
}

const noSuchPost = (): AppError => new AppError('NOT_FOUND', 'no such post');
const noSuchComment = (): AppError => new AppError('NOT_FOUND', 'no such comment');

/** Comments and one level of replies: anyone signed in writes on an unlocked post; the author edits; the author or an ADMIN deletes. */
export class CommentsService {
  readonly #context: ForumContext;
  readonly #profiles: Profiles;
  readonly #repo = new CommentsRepository();
  readonly #posts = new PostsRepository();

  constructor(context: ForumContext, profiles: Profiles) {
    this.#context = context;
    this.#profiles = profiles;
  }

  async #views(rows: readonly CommentRow[]): Promise<Comment[]> {
    const authors = await this.#profiles.findMany([...new Set(rows.map((r) => r.authorId))]);
    return rows.map((row) => ({
      id: row.id,
      postId: row.postId,
      seq: row.seq,
      parentId: row.parentId,
      body: row.body,
      bodyFormat: 'text/plain',
      author: authors.get(row.authorId) ?? { id: row.authorId, displayName: '' },
      createdAt: row.createdAt.toISOString(),
      editedAt: row.editedAt?.toISOString() ?? null,
      deletedAt: row.deletedAt?.toISOString() ?? null,
    }));
  }

  /**
   * Writes a comment (or a reply to a top-level comment) with the post's next seq, and
   * forum.comment.created naming the post's author, the parent's author and the mentioned users,
   * in one transaction under the post's lock (a lock taken meanwhile wins: POST_LOCKED).
   */
  async create(actor: Actor, postId: string, input: { body: string; parentId?: string | undefined }): Promise<Comment> {
    const body = plainText(input.body, '/body', this.#context.env.FORUM_COMMENT_MAX_LENGTH);
    const { db, clock, outbox } = this.#context;
    const mentioned = await resolveMentions(this.#profiles, body, actor.userId);
    const row = await db.transaction(async (tx) => {
      const post = await this.#posts.lock(tx, postId);
      if (post === undefined) throw noSuchPost();
      if (post.locked) throw new AppError(ForumErrors.POST_LOCKED, 'the post is locked');
      let parent: CommentRow | undefined;
      if (input.parentId !== undefined) {
        parent = await this.#repo.find(tx, input.parentId);
        if (parent?.postId !== postId) throw new AppError(ForumErrors.INVALID_PARENT, 'parentId names no comment of this post');
        if (parent.parentId !== null) throw new AppError(ForumErrors.NESTED_REPLY, 'reply to the top-level comment instead');
        if (parent.deletedAt !== null) throw new AppError(ForumErrors.COMMENT_DELETED, 'the comment replied to is deleted');
      }
      const at = clock.now();
      const inserted = await this.#repo.insert(tx, { id: newId(), postId, seq: post.lastCommentSeq + 1, parentId: parent?.id ?? null, authorId: actor.userId, body, at });
      await outbox.append(
        tx,
        createEventOf(
          ForumCommentCreated,
          {
            commentId: inserted.id,
            postId,
            postTitle: post.title,
            postAuthorId: post.authorId,
            parentId: parent?.id ?? null,
            parentAuthorId: parent?.authorId ?? null,
            authorId: actor.userId,
            mentionedUserIds: mentioned,
            preview: preview(body),
            createdAt: at.toISOString(),
          },
          { producer: 'forum', occurredAt: at },
        ),
      );
      return inserted;
    });
    outbox.committed();
    return (await this.#views([row]))[0]!;
  }

  /** The author edits the body of a comment not deleted (no event: mentions are told once, when written). */
  async edit(actor: Actor, id: string, rawBody: string): Promise<Comment> {
    const body = plainText(rawBody, '/body', this.#context.env.FORUM_COMMENT_MAX_LENGTH);
    const row = await this.#context.db.transaction(async (tx) => {
      const comment = await this.#repo.lock(tx, id);
      if (comment === undefined) throw noSuchComment();
      if (comment.authorId !== actor.userId) throw new AppError(ForumErrors.NOT_THE_AUTHOR, 'only the author edits a comment');
      if (comment.deletedAt !== null) throw new AppError(ForumErrors.COMMENT_DELETED, 'the comment is deleted');
      return this.#repo.edit(tx, id, body, this.#context.clock.now());
    });
    return (await this.#views([row]))[0]!;
  }

  /** The author or an ADMIN deletes a comment (idempotent); its replies stay. */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.#context.db.transaction(async (tx) => {
      const comment = await this.#repo.lock(tx, id);
      if (comment === undefined) throw noSuchComment();
      if (comment.authorId !== actor.userId && !actor.admin) throw new AppError(ForumErrors.NOT_THE_AUTHOR, 'only the author or an ADMIN deletes a comment');
      if (comment.deletedAt === null) await this.#repo.softDelete(tx, comment, this.#context.clock.now());
    });
  }

  /** A post's comments and replies, oldest first, as one flat list (a reply names its `parentId`). */
  async list(postId: string, page: { afterSeq: number; take: number }): Promise<Comment[]> {
    const rows = await this.#repo.list(this.#context.db, postId, page);
    if (rows.length === 0 && !(await this.#repo.postExists(this.#context.db, postId))) throw noSuchPost();
    return this.#views(rows);
  }
}
