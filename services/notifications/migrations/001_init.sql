-- One notification for one recipient. `seq` orders a recipient's notifications (and is the
-- cursor of `resume`): taken from `recipients.last_seq`, also when a collapsed row is bumped.
create table notifications (
  id uuid primary key,
  recipient_id uuid not null,
  seq bigint not null,
  type text not null,
  actor_id uuid,
  -- Where a client takes the reader: `/forum/posts/<id>#comment-<id>`, `/chat/conversations/<id>`, ...
  target text not null,
  -- A short plain-text excerpt (a comment's start, a conversation's name), or null.
  preview text,
  -- Collapsed notifications (chat messages): how many events this one stands for.
  count integer not null default 1,
  -- Unread rows with the same key for a recipient collapse into one (chat: the conversation).
  collapse_key text,
  -- The event that made it (the first one, for a collapsed row).
  event_id uuid not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  read_at timestamptz,
  unique (recipient_id, seq),
  -- One event yields at most one notification per recipient.
  unique (event_id, recipient_id)
);
create index notifications_unread on notifications (recipient_id) where read_at is null;
create unique index notifications_collapse on notifications (recipient_id, collapse_key) where collapse_key is not null and read_at is null;

-- Each recipient's last `seq`; its row lock serialises a recipient's writes, so seqs commit in order.
create table recipients (
  user_id uuid primary key,
  last_seq bigint not null
);

-- The notification types a user muted: muted types create nothing.
create table muted_types (
  user_id uuid not null,
  type text not null,
  primary key (user_id, type)
);

-- Events whose payload broke their contract: parked here (and logged) instead of blocking the stream.
create table dead_letters (
  event_id uuid not null,
  consumer text not null,
  type text not null,
  version integer not null,
  payload jsonb not null,
  error text not null,
  parked_at timestamptz not null,
  primary key (consumer, event_id)
);
