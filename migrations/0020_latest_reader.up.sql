-- The latest threads as members see them (the home page, /latest and the
-- API's first page) come from a snapshot held in memory (forum/latest_page.go),
-- like the thread pages. latest_reader reads what belongs to the viewer and
-- the fingerprint of the rows the snapshot was made of: the first p_limit
-- published threads by last activity, each with its row version (xmin),
-- served by threads_activity without the joins of latest_threads (authors,
-- last posters, categories); the viewer's reading state of each; whether
-- the viewer has a held thread (then the list is theirs alone); and the
-- fingerprint of the categories, which the home page lists beside.
-- Like the functions of migration 0018, it forces the generic plan, which
-- is the same and is not made again at every call.

CREATE INDEX threads_held_author ON threads (author_id) WHERE status = 'held';

CREATE FUNCTION latest_reader(p_viewer bigint, p_limit integer)
RETURNS TABLE (thread_id bigint, thread_version text, last_read integer, unread bigint,
               has_held boolean, categories_version text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
    RETURN QUERY
    SELECT t.id, t.xmin::text, rs.last_read_number,
        CASE WHEN rs.member_id IS NULL THEN NULL ELSE
            (SELECT count(*) FROM posts p
             WHERE p.thread_id = t.id AND p.number > rs.last_read_number AND p.status = 'published') END,
        EXISTS (SELECT 1 FROM threads h WHERE h.author_id = p_viewer AND h.status = 'held'),
        (SELECT string_agg(c.id::text || ':' || c.xmin::text, ',' ORDER BY c.id) FROM categories c)
    FROM (SELECT t.id, t.xmin, t.last_post_at FROM threads t
          WHERE t.status = 'published'
          ORDER BY t.last_post_at DESC, t.id DESC
          LIMIT p_limit) t
    LEFT JOIN read_states rs ON rs.member_id = p_viewer AND rs.thread_id = t.id
    ORDER BY t.last_post_at DESC, t.id DESC;
END;
$fn$;
