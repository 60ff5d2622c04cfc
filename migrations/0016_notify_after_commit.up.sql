-- Mail queued while posting (a reply notifies the watchers by email) sent its
-- own NOTIFY inside the commit, and serialised posts again as in 0014. The
-- setting becomes general: in a transaction where palabre.notify is
-- 'after_commit' (forum.DB.InContentTx), neither the content triggers nor
-- the outbox notify; notify_after_commit() then announces the content change
-- and wakes the mail workers if mail is due, without waiting for the disk.

CREATE OR REPLACE FUNCTION notify_content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('palabre.notify', true) = 'after_commit' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('palabre_content', '');
    RETURN NULL;
END;
$$;

DROP FUNCTION notify_content_after_commit();

CREATE FUNCTION notify_after_commit() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('palabre_content', 'after_commit');
    IF EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()) THEN
        PERFORM pg_notify('palabre_outbox', '');
    END IF;
END;
$$;
