-- Two statements of every reply were planned again at each call:
--
-- * palabre_search_config(), which the search-vector trigger calls for each
--   new post, was a SQL function: called from PL/pgSQL it is parsed and
--   planned every time (0.1 ms a post). As PL/pgSQL its plan is kept per
--   connection; it is not used in queries, where inlining would matter.
-- * the lock on the thread a reply goes to, now in a function for the same
--   reason (forum.CreateReplyTx checks what it returns).

CREATE OR REPLACE FUNCTION palabre_search_config() RETURNS regconfig LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN CASE coalesce(nullif((SELECT value #>> '{}' FROM settings WHERE key = 'locale'), ''),
                         (SELECT locale FROM search_default), 'fr')
        WHEN 'en' THEN 'palabre_english'::regconfig
        ELSE 'palabre_french'::regconfig
    END;
END;
$$;

CREATE FUNCTION lock_thread_for_reply(p_thread_id bigint)
RETURNS TABLE (locked boolean, closed boolean, status text, author_id bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY SELECT t.locked, t.closed, t.status, t.author_id FROM threads t WHERE t.id = p_thread_id FOR UPDATE;
END;
$fn$;
