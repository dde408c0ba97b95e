-- Dead letters: a row the bus can never accept (over the payload limit, rejected by its contract)
-- is marked failed, with the reason in last_error, so it no longer holds back the rows after it.
alter table outbox add column failed_at timestamptz;
drop index outbox_pending_idx;
create index outbox_pending_idx on outbox (seq) where published_at is null and failed_at is null;
create index outbox_failed_at_idx on outbox (failed_at) where failed_at is not null;
