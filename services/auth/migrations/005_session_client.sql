-- A refresh family belongs to the OAuth client that obtained it (RFC 6749 sections 6 and 10.4):
-- only that client may refresh it. Null: a first-party session (POST /auth/login, /auth/refresh,
-- or the token endpoint without client identification), which no registered client may refresh.
alter table sessions add column client_id text references oauth_clients(id);
