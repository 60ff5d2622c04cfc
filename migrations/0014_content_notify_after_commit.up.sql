-- A NOTIFY holds PostgreSQL's lock on the notification queue from its
-- transaction's commit until the commit is on disk, so every transaction that
-- notifies commits one fsync after the other: posting could not use group
-- commit. The hot writers (forum.DB.InContentTx) now set
-- palabre.content_notify to 'after_commit' in their transaction, which the
-- triggers then leave silent, and announce the change once committed with
-- notify_content_after_commit(), in a transaction of its own that does not
-- wait for the disk (a lost notification only costs a stale cache until
-- its expiry). Every other writer notifies from the triggers as before.

CREATE OR REPLACE FUNCTION notify_content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('palabre.content_notify', true) = 'after_commit' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('palabre_content', '');
    RETURN NULL;
END;
$$;

CREATE FUNCTION notify_content_after_commit() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('palabre_content', 'after_commit');
END;
$$;
