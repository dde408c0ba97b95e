-- AUTH_BOOTSTRAP_ADMIN_EMAIL is honoured at most once per database: `armed_at` is the first
-- start-up that saw an address (only an account registered by then may be promoted), `granted_at`
-- marks the one grant ever made (the partial unique index lets a single row carry it).
create table bootstrap_admin (
  email text primary key,
  armed_at timestamptz not null,
  granted_user_id uuid,
  granted_at timestamptz
);
create unique index bootstrap_admin_granted_once on bootstrap_admin ((true)) where granted_at is not null;
