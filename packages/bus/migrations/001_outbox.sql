-- Events written in the same transaction as the change they describe; the relay publishes them.
create table outbox (
  seq bigserial primary key,
  id uuid not null unique,
  type text not null,
  version integer not null,
  occurred_at timestamptz not null,
  producer text not null,
  data jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts integer not null default 0,
  last_error text
);
create index outbox_pending_idx on outbox (seq) where published_at is null;
create index outbox_published_at_idx on outbox (published_at) where published_at is not null;

-- Events a consumer has handled, so a redelivered event is not handled twice.
create table processed_events (
  consumer text not null,
  event_id uuid not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
create index processed_events_processed_at_idx on processed_events (processed_at);
