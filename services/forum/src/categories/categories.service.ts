import { newId } from '@realchat/contracts';
import { constraintOf, isUniqueViolation } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { ForumContext } from '../context.js';
import { ForumErrors } from '../errors.js';
import { plainText } from '../text.js';
import { CategoriesRepository, type CategoryRow } from './categories.repository.js';

export const CATEGORY_NAME_MAX = 60;
export const CATEGORY_DESCRIPTION_MAX = 500;

/** A category as clients see it. */
export interface Category {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const view = (row: CategoryRow): Category => ({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });
const noSuchCategory = (): AppError => new AppError('NOT_FOUND', 'no such category');
const nameTaken = (cause: unknown): AppError => new AppError(ForumErrors.CATEGORY_EXISTS, 'another category has this name', { cause });
const description = (raw: string): string => (raw.trim() === '' ? '' : plainText(raw, '/description', CATEGORY_DESCRIPTION_MAX));

/** Categories: read by anyone signed in, written by ADMIN (the routes declare the role). */
export class CategoriesService {
  readonly #context: ForumContext;
  readonly #repo = new CategoriesRepository();

  constructor(context: ForumContext) {
    this.#context = context;
  }

  async list(page: { after: { at: Date; id: string } | undefined; take: number }): Promise<Category[]> {
    return (await this.#repo.list(this.#context.db, page)).map(view);
  }

  async create(input: { name: string; description?: string | undefined }): Promise<Category> {
    const now = this.#context.clock.now();
    const row: CategoryRow = { id: newId(), name: plainText(input.name, '/name', CATEGORY_NAME_MAX), description: description(input.description ?? ''), createdAt: now, updatedAt: now };
    try {
      await this.#repo.insert(this.#context.db, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(err);
      throw err;
    }
    return view(row);
  }

  async update(id: string, input: { name?: string | undefined; description?: string | undefined }): Promise<Category> {
    const change = {
      name: input.name === undefined ? undefined : plainText(input.name, '/name', CATEGORY_NAME_MAX),
      description: input.description === undefined ? undefined : description(input.description),
      at: this.#context.clock.now(),
    };
    let row: CategoryRow | undefined;
    try {
      row = await this.#repo.update(this.#context.db, id, change);
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(err);
      throw err;
    }
    if (row === undefined) throw noSuchCategory();
    return view(row);
  }

  async delete(id: string): Promise<void> {
    let outcome: Awaited<ReturnType<CategoriesRepository['delete']>>;
    try {
      outcome = await this.#repo.delete(this.#context.db, id);
    } catch (err) {
      // A post created in the category at the same moment: the category is not empty after all.
      if (constraintOf(err) === 'posts_category_id_fkey') throw new AppError(ForumErrors.CATEGORY_NOT_EMPTY, 'the category holds posts', { cause: err });
      throw err;
    }
    if (outcome === 'missing') throw noSuchCategory();
    if (outcome === 'not-empty') throw new AppError(ForumErrors.CATEGORY_NOT_EMPTY, 'the category holds posts');
  }
}
