-- GET /auth/users pages newest first by (created_at, id): a backward scan of this index, no sort
-- of the whole table per page.
create index users_created on users (created_at, id);
-- Its email prefix filter (`email like 'prefix%'`): the unique index on email serves `like` only
-- under the C collation; text_pattern_ops serves it under any.
create index users_email_prefix on users (email text_pattern_ops);
