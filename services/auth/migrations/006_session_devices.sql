-- session.started says whether a sign-in comes from a device (user agent) the user never used.
create index sessions_user_agent on sessions (user_id, user_agent);
