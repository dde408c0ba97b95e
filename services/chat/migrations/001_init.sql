-- Chat's projection of the users it has heard of (user.created, user.updated), or looked up from auth.
create table users (
  id uuid primary key,
  display_name text not null,
  roles text[] not null default array['STUDENT'],
  updated_at timestamptz not null
);

-- A friend request, from `from_user` to `to_user`; at most one pending request per pair, either way.
create table friend_requests (
  id uuid primary key,
  from_user uuid not null,
  to_user uuid not null,
  -- pending | accepted | declined | cancelled
  status text not null,
  -- The unordered pair (least id first): the unique index below holds for both directions.
  pair_low uuid not null,
  pair_high uuid not null,
  created_at timestamptz not null,
  responded_at timestamptz,
  check (from_user <> to_user),
  check (status in ('pending', 'accepted', 'declined', 'cancelled'))
);
create unique index friend_requests_one_pending on friend_requests (pair_low, pair_high) where status = 'pending';
create index friend_requests_to on friend_requests (to_user, created_at desc) where status = 'pending';
create index friend_requests_from on friend_requests (from_user, created_at desc) where status = 'pending';

-- A friendship, stored once per unordered pair (user_low < user_high).
create table friendships (
  user_low uuid not null,
  user_high uuid not null,
  created_at timestamptz not null,
  primary key (user_low, user_high),
  check (user_low < user_high)
);
create index friendships_high on friendships (user_high);

-- `blocker` blocked `blocked`: no messages from them, no presence to them.
create table blocks (
  blocker uuid not null,
  blocked uuid not null,
  created_at timestamptz not null,
  primary key (blocker, blocked),
  check (blocker <> blocked)
);
create index blocks_blocked on blocks (blocked);

create table conversations (
  id uuid primary key,
  -- direct | group
  type text not null,
  name text,
  created_by uuid not null,
  -- For a direct conversation, '<least user id>:<greatest user id>': exactly one per pair.
  direct_key text unique,
  -- The seq of the newest message: the next one takes last_seq + 1 under this row's lock (gapless).
  last_seq bigint not null default 0,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  -- Newest activity (a message, or the creation): the order of "my conversations".
  last_activity_at timestamptz not null,
  check (type in ('direct', 'group')),
  check ((type = 'direct') = (direct_key is not null))
);

create table members (
  conversation_id uuid not null references conversations (id) on delete cascade,
  user_id uuid not null,
  -- owner | member
  role text not null,
  joined_at timestamptz not null,
  -- Highest seq this member has read (receipts, unread counts) and received on any device.
  read_seq bigint not null default 0,
  delivered_seq bigint not null default 0,
  primary key (conversation_id, user_id),
  check (role in ('owner', 'member'))
);
create index members_user on members (user_id);

create table messages (
  id uuid primary key,
  conversation_id uuid not null references conversations (id) on delete cascade,
  seq bigint not null,
  sender_id uuid not null,
  -- The sender's own id for this send: a repeated send with it stores nothing new.
  client_msg_id text not null,
  body text not null,
  created_at timestamptz not null,
  edited_at timestamptz,
  deleted_at timestamptz,
  deleted_by uuid,
  search tsvector generated always as (to_tsvector('simple', body)) stored,
  unique (conversation_id, seq),
  unique (conversation_id, sender_id, client_msg_id)
);
create index messages_search on messages using gin (search);

-- One row per (message, user, emoji): PUT is idempotent, the counts are grouped from here.
create table reactions (
  message_id uuid not null references messages (id) on delete cascade,
  user_id uuid not null,
  emoji text not null,
  created_at timestamptz not null,
  primary key (message_id, user_id, emoji)
);
