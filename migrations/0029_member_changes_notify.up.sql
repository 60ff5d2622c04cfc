-- Every request a member makes began with a query for whom its cookie or
-- token belongs to: the member, the session or token, and the unread badge.
-- The servers now remember that for a short while (forum/credential_cache.go)
-- and must hear of every change to it, on every instance: these triggers
-- announce, on channel palabre_members, the members whose row, sessions,
-- API tokens or notifications (the badge) a statement changed, as their ids
-- separated by commas. A payload that would not fit (more than a few hundred
-- members) is sent empty, which means "anyone".
--
-- One statement sends one notification, whatever the number of rows. The
-- hot writers are not slowed: the notification fan-out of posts already
-- commits without waiting for the disk (migration 0027), and the others
-- (a log-in, a like, a notification read) are a member's own action.

CREATE FUNCTION announce_members(ids text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL THEN
        RETURN;
    END IF;
    IF length(ids) > 7000 THEN
        ids := '';
    END IF;
    PERFORM pg_notify('palabre_members', ids);
END;
$$;

-- members: the changed rows are the members.
CREATE FUNCTION members_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT id::text, ',') FROM changed));
    RETURN NULL;
END;
$$;

-- sessions, api_tokens, notifications: the members the rows belong to.
CREATE FUNCTION member_rows_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT member_id::text, ',') FROM changed));
    RETURN NULL;
END;
$$;

CREATE TRIGGER members_updated_announce AFTER UPDATE ON members
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION members_announce();
CREATE TRIGGER members_deleted_announce AFTER DELETE ON members
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION members_announce();

-- A new session or token is not remembered anywhere yet: only its changes
-- (a session's refresh, a token revoked) and removals matter.
CREATE TRIGGER sessions_updated_announce AFTER UPDATE ON sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER sessions_deleted_announce AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER api_tokens_updated_announce AFTER UPDATE ON api_tokens
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER api_tokens_deleted_announce AFTER DELETE ON api_tokens
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();

-- The unread badge changes with every notification added, read, hidden or
-- removed.
CREATE TRIGGER notifications_inserted_announce AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER notifications_updated_announce AFTER UPDATE ON notifications
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER notifications_deleted_announce AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
