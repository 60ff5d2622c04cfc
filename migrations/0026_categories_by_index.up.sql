-- Two costs that appeared at a million posts (SCALE=large), where the
-- members' home page fell from 2,600 to 100 requests/s:
--
--  - JIT: the server's connections now turn it off (forum.Open), as its
--    compilation started whenever an estimate passed jit_above_cost and the
--    forced generic plans assume LIMIT $n keeps a tenth of the table.
--  - The categories: each new thread updates its category's thread count,
--    and a bulk import (the bench's seeding, or a forum migrated from
--    elsewhere) leaves the ten live rows at the end of a table of
--    thousands of pages, which VACUUM cannot shorten: a sequential scan
--    read them all. latest_reader reads the categories' fingerprint by
--    their primary key, and their display order has an index.

CREATE INDEX categories_display ON categories (position, name);

CREATE OR REPLACE FUNCTION latest_reader(p_viewer bigint, p_limit integer)
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
        (SELECT string_agg(c.id::text || ':' || c.xmin::text, ',' ORDER BY c.id)
         FROM (SELECT c.id, c.xmin FROM categories c ORDER BY c.id) c)
    FROM (SELECT t.id, t.xmin, t.last_post_at FROM threads t
          WHERE t.status = 'published'
          ORDER BY t.last_post_at DESC, t.id DESC
          LIMIT p_limit) t
    LEFT JOIN read_states rs ON rs.member_id = p_viewer AND rs.thread_id = t.id
    ORDER BY t.last_post_at DESC, t.id DESC;
END;
$fn$;
