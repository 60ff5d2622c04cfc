-- Repair for databases that missed migration 0029.
--
-- During development a first file numbered 0029 (the fan-out's announcement)
-- was applied to some databases, then folded into 0027, deleted, and its
-- number reused for 0029_member_changes_notify. golang-migrate goes by
-- version: a database that had run the first 0029 never ran the second, and
-- so lacks the triggers that tell every instance's credential cache that a
-- member's row, sessions, tokens or notifications changed (a ban or a
-- log-out would be noticed only when the cache entry expired).
--
-- This migration states 0029's functions and triggers again, idempotently:
-- on a database that has them it replaces them with the same definitions.
-- migrations/landed.sha256 and TestLandedMigrationsNeverChange now keep any
-- landed file from being changed, deleted or renumbered again.

CREATE OR REPLACE FUNCTION announce_members(ids text) RETURNS void LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION members_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT id::text, ',') FROM changed));
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION member_rows_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT member_id::text, ',') FROM changed));
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS members_updated_announce ON members;
DROP TRIGGER IF EXISTS members_deleted_announce ON members;
DROP TRIGGER IF EXISTS sessions_updated_announce ON sessions;
DROP TRIGGER IF EXISTS sessions_deleted_announce ON sessions;
DROP TRIGGER IF EXISTS api_tokens_updated_announce ON api_tokens;
DROP TRIGGER IF EXISTS api_tokens_deleted_announce ON api_tokens;
DROP TRIGGER IF EXISTS notifications_inserted_announce ON notifications;
DROP TRIGGER IF EXISTS notifications_updated_announce ON notifications;
DROP TRIGGER IF EXISTS notifications_deleted_announce ON notifications;

CREATE TRIGGER members_updated_announce AFTER UPDATE ON members
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION members_announce();
CREATE TRIGGER members_deleted_announce AFTER DELETE ON members
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION members_announce();
CREATE TRIGGER sessions_updated_announce AFTER UPDATE ON sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER sessions_deleted_announce AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER api_tokens_updated_announce AFTER UPDATE ON api_tokens
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER api_tokens_deleted_announce AFTER DELETE ON api_tokens
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER notifications_inserted_announce AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER notifications_updated_announce AFTER UPDATE ON notifications
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER notifications_deleted_announce AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
