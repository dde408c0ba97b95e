-- Forum categories; managed by ADMIN. Names are unique ignoring case.
create table categories (
  id uuid primary key,
  name text not null,
  description text not null default '',
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create unique index categories_name on categories (lower(name));
create index categories_order on categories (created_at, id);

-- A fresh install has one category, so the forum works at once (a fixed id: documented; ADMIN may
-- rename it). Created "at the epoch": listed first, before any category made since.
insert into categories (id, name, description, created_at, updated_at)
values ('00000000-0000-4000-8000-000000000001', 'General', 'Anything that fits nowhere else.', 'epoch', now());

create table posts (
  id uuid primary key,
  category_id uuid not null references categories (id),
  author_id uuid not null,
  title text not null,
  -- Plain text, stored as given (trimmed): never HTML.
  body text not null,
  pinned boolean not null default false,
  locked boolean not null default false,
  -- The seq of the newest comment: the next one takes last_comment_seq + 1 under this row's lock,
  -- so comments are ordered by commit and a page never misses one that arrives while paging.
  last_comment_seq bigint not null default 0,
  -- Comments not deleted.
  comment_count integer not null default 0,
  created_at timestamptz not null,
  edited_at timestamptz,
  -- Newest activity (the creation or the newest comment): the order of a category's posts.
  last_activity_at timestamptz not null,
  search tsvector generated always as (to_tsvector('simple', title || ' ' || body)) stored
);
-- The keyset of a category's list: pinned first, then newest activity.
create index posts_category_order on posts (category_id, pinned desc, last_activity_at desc, id desc);
create index posts_search on posts using gin (search);

-- One level of replies: `parent_id` names a top-level comment of the same post.
create table comments (
  id uuid primary key,
  post_id uuid not null references posts (id) on delete cascade,
  seq bigint not null,
  parent_id uuid references comments (id) on delete cascade,
  author_id uuid not null,
  -- Plain text as given (trimmed); '' once deleted (a deleted comment stays as a placeholder for its replies).
  body text not null,
  created_at timestamptz not null,
  edited_at timestamptz,
  deleted_at timestamptz,
  search tsvector generated always as (to_tsvector('simple', body)) stored,
  -- The keyset of a post's comments, oldest first: one index range scan per page at any depth.
  unique (post_id, seq)
);
create index comments_parent on comments (parent_id) where parent_id is not null;
create index comments_search on comments using gin (search);
