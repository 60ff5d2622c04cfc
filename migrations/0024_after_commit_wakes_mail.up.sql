-- notify_after_commit (migration 0016) woke the mail workers only when mail
-- was due, which it learnt by looking at the outbox. Under a stream of
-- posts that look cost more than the post: the sent mails' dead index
-- entries and a plan made while the outbox was empty made it read up to
-- 180 pages, 2.5 ms a post. The content announcement now wakes the mail
-- workers itself (payload 'after_commit', which only content transactions
-- send; the workers gather the wake-ups of a short while into one round),
-- and the function no longer reads the outbox.
CREATE OR REPLACE FUNCTION notify_after_commit() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('palabre_content', 'after_commit');
END;
$$;
