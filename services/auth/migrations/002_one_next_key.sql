-- At most one key waiting to sign: two instances rotating at once must not both introduce one.
-- Keep the oldest if a race already left several (the others were published, never signed).
delete from signing_keys k
 where k.status = 'next'
   and exists (select 1 from signing_keys o where o.status = 'next' and (o.created_at, o.kid) < (k.created_at, k.kid));
create unique index signing_keys_one_next on signing_keys (status) where status = 'next';
