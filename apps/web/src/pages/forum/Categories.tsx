import { useCallback, useState, type FormEvent, type ReactNode } from 'react';
import { Link } from '../../app/router.js';
import { isAdmin, useSession } from '../../app/session.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { submits, useAction } from '../../lib/useAction.js';
import { ConfirmButton, ErrorLine, LoadMore } from './common.js';
import { SearchBox } from './SearchBox.js';
import type { Category } from './types.js';
import { useCursorList } from './useCursorList.js';

/** `/forum`: the categories; an ADMIN also creates, renames and deletes them. */
export function Categories(): ReactNode {
  const { me } = useSession();
  const admin = isAdmin(me);
  const fetchPage = useCallback(
    (cursor: string | null) => unwrap(rc.api.GET('/forum/categories', { params: { query: { limit: 50, ...(cursor === null ? {} : { cursor }) } } })),
    [],
  );
  const list = useCursorList<Category>(fetchPage);
  const [error, setError] = useState<string | null>(null);

  const remove = (c: Category): void => {
    setError(null);
    unwrap(rc.api.DELETE('/forum/categories/{id}', { params: { path: { id: c.id } } }))
      .then(() => list.update((items) => items.filter((i) => i.id !== c.id)))
      .catch((err: unknown) => setError(messageOf(err)));
  };
  const replace = (c: Category): void => list.update((items) => items.map((i) => (i.id === c.id ? c : i)));

  return (
    <div className="page narrow forum">
      <h1>Forum</h1>
      <SearchBox />
      {admin && <NewCategory onCreated={(c) => list.update((items) => [...items, c])} />}
      <ErrorLine error={error ?? list.error} />
      <h2 id="categories-heading">Categories</h2>
      {list.items === null ? (
        <p aria-busy="true">Loading categories…</p>
      ) : list.items.length === 0 ? (
        <p className="muted">No categories yet.{admin ? ' Create the first one above.' : ''}</p>
      ) : (
        <ul className="list" aria-labelledby="categories-heading">
          {list.items.map((c) => (
            <li key={c.id} className="list-row category-row">
              <CategoryRow category={c} admin={admin} onRenamed={replace} onDelete={() => remove(c)} />
            </li>
          ))}
        </ul>
      )}
      <LoadMore hasMore={list.hasMore} loading={list.loading} onMore={() => void list.loadMore()} label="More categories" />
    </div>
  );
}

function CategoryRow({ category, admin, onRenamed, onDelete }: { category: Category; admin: boolean; onRenamed: (c: Category) => void; onDelete: () => void }): ReactNode {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(category.name);
  const [description, setDescription] = useState(category.description);
  const save = useAction(async () => {
    onRenamed(await unwrap(rc.api.PATCH('/forum/categories/{id}', { params: { path: { id: category.id } }, body: { name, description } })));
    setEditing(false);
  });
  if (editing) {
    return (
      <form className="inline-form" onSubmit={submits(save)} aria-label={`Rename ${category.name}`}>
        <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} />
        <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
        <ErrorLine error={save.error} />
        <div className="actions">
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" className="secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      </form>
    );
  }
  return (
    <>
      <div>
        <Link to={`/forum/categories/${encodeURIComponent(category.id)}`} className="strong">
          {category.name}
        </Link>
        {category.description !== '' && <p className="muted small">{category.description}</p>}
      </div>
      {admin && (
        <div className="actions">
          <button type="button" className="link" onClick={() => setEditing(true)} aria-label={`Rename ${category.name}`}>
            Rename
          </button>
          <ConfirmButton label={`Delete ${category.name}`} confirmLabel="Delete category" onConfirm={onDelete} />
        </div>
      )}
    </>
  );
}

function NewCategory({ onCreated }: { onCreated: (c: Category) => void }): ReactNode {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const create = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    unwrap(rc.api.POST('/forum/categories', { body: { name, ...(description.trim() === '' ? {} : { description }) } }))
      .then((c) => {
        onCreated(c);
        setName('');
        setDescription('');
      })
      .catch((err: unknown) => setError(messageOf(err)))
      .finally(() => setBusy(false));
  };
  return (
    <details className="card admin-panel">
      <summary>New category (admin)</summary>
      <form onSubmit={create} aria-label="New category">
        <Field label="Category name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} />
        <Field label="Category description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
        <ErrorLine error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Create category
        </button>
      </form>
    </details>
  );
}
