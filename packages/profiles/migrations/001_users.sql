-- The service's projection of the users it has heard of (user.created, user.updated) or looked up
-- from auth. `if not exists`: a service that created this table in its own migrations keeps it.
create table if not exists users (
  id uuid primary key,
  display_name text not null,
  roles text[] not null default array['STUDENT'],
  updated_at timestamptz not null
);
-- Mentions look users up by name, case-insensitively.
create index if not exists users_display_name_lower on users (lower(display_name));
