-- Identity: one row per account. Emails are stored normalised (trimmed, NFC, lower case).
create table users (
  id uuid primary key,
  email text not null unique,
  display_name text not null,
  password_hash text not null,
  roles text[] not null default array['STUDENT'],
  created_at timestamptz not null,
  updated_at timestamptz not null,
  password_changed_at timestamptz not null
);

-- A session is a refresh-token family: the unit of logout and of revocation (`sid` in access tokens).
create table sessions (
  id uuid primary key,
  user_id uuid not null references users(id) on delete cascade,
  created_at timestamptz not null,
  last_used_at timestamptz not null,
  -- Absolute end of the family, whatever the rotations.
  expires_at timestamptz not null,
  -- Latest `exp` of an access token issued to this session: revocation must outlive it.
  access_expires_at timestamptz not null,
  user_agent text,
  ip text,
  revoked_at timestamptz,
  revoked_reason text
);
create index sessions_user_live on sessions (user_id) where revoked_at is null;

-- Refresh tokens exist here only as SHA-256 hashes; a spent token points at its successor.
create table refresh_tokens (
  token_hash bytea primary key,
  session_id uuid not null references sessions(id) on delete cascade,
  parent_hash bytea,
  issued_at timestamptz not null,
  expires_at timestamptz not null,
  spent_at timestamptz,
  successor_hash bytea
);
create index refresh_tokens_session on refresh_tokens (session_id);

-- Signing keys; private halves are AES-256-GCM encrypted under the key-encryption key.
create table signing_keys (
  kid text primary key,
  alg text not null,
  public_jwk jsonb not null,
  private_key_enc text not null,
  -- next: published, not signing yet; active: signing; retired: published until publish_until.
  status text not null check (status in ('next', 'active', 'retired')),
  created_at timestamptz not null,
  activates_at timestamptz not null,
  retired_at timestamptz,
  publish_until timestamptz
);
create unique index signing_keys_one_active on signing_keys (status) where status = 'active';

-- OAuth 2.0 confidential clients for service-to-service calls (client-credentials grant).
-- Secrets are 256 random bits, so SHA-256 at rest is enough and keeps the token endpoint fast.
create table oauth_clients (
  id text primary key,
  name text not null,
  secret_hash bytea not null,
  scopes text[] not null,
  created_at timestamptz not null,
  revoked_at timestamptz
);
