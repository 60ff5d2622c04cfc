-- The thread lists (home, categories) were prepared statements that
-- PostgreSQL planned again at every call (2.5 to 5 ms a page, twice the time
-- to run them): against the custom plans of the first calls, the generic
-- plan's cost looks ten times higher, because it assumes that LIMIT $n keeps
-- a tenth of the rows. Its shape is the same and it runs as fast. As
-- functions forcing the generic plan, they are planned once per connection.
-- The columns are forum.Thread's (forum/thread_list.go); the viewer's reading
-- state joins for members (p_viewer 0 for visitors), held threads show to
-- their authors and the staff.

CREATE FUNCTION latest_threads(p_viewer bigint, p_at timestamptz, p_id bigint, p_limit integer, p_staff boolean)
RETURNS TABLE (id bigint, category_id bigint, category_slug text, category_name text, author_id bigint,
               author_name text, title text, slug text, status text, pinned boolean, locked boolean,
               closed boolean, post_count integer, last_post_at timestamptz, last_post_number integer,
               last_poster_name text, created_at timestamptz, last_read integer, unread bigint)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
    RETURN QUERY
    SELECT t.id, t.category_id, c.slug, c.name, t.author_id, a.username, t.title, t.slug, t.status,
        t.pinned, t.locked, t.closed, t.post_count, t.last_post_at, t.last_post_number, lp.username,
        t.created_at, rs.last_read_number,
        CASE WHEN rs.member_id IS NULL THEN NULL ELSE
            (SELECT count(*) FROM posts p
             WHERE p.thread_id = t.id AND p.number > rs.last_read_number AND p.status = 'published') END
    FROM threads t
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN members a ON a.id = t.author_id
    LEFT JOIN members lp ON lp.id = t.last_poster_id
    LEFT JOIN read_states rs ON rs.thread_id = t.id AND rs.member_id = p_viewer
    WHERE (t.status = 'published' OR (t.status = 'held' AND (p_staff OR t.author_id = p_viewer)))
        AND (t.last_post_at, t.id) < (p_at, p_id)
    ORDER BY t.last_post_at DESC, t.id DESC
    LIMIT p_limit;
END;
$fn$;

CREATE FUNCTION category_threads(p_category bigint, p_viewer bigint, p_pinned boolean, p_at timestamptz,
                                 p_id bigint, p_limit integer, p_staff boolean)
RETURNS TABLE (id bigint, category_id bigint, category_slug text, category_name text, author_id bigint,
               author_name text, title text, slug text, status text, pinned boolean, locked boolean,
               closed boolean, post_count integer, last_post_at timestamptz, last_post_number integer,
               last_poster_name text, created_at timestamptz, last_read integer, unread bigint)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
    RETURN QUERY
    SELECT t.id, t.category_id, c.slug, c.name, t.author_id, a.username, t.title, t.slug, t.status,
        t.pinned, t.locked, t.closed, t.post_count, t.last_post_at, t.last_post_number, lp.username,
        t.created_at, rs.last_read_number,
        CASE WHEN rs.member_id IS NULL THEN NULL ELSE
            (SELECT count(*) FROM posts p
             WHERE p.thread_id = t.id AND p.number > rs.last_read_number AND p.status = 'published') END
    FROM threads t
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN members a ON a.id = t.author_id
    LEFT JOIN members lp ON lp.id = t.last_poster_id
    LEFT JOIN read_states rs ON rs.thread_id = t.id AND rs.member_id = p_viewer
    WHERE t.category_id = p_category
        AND (t.status = 'published' OR (t.status = 'held' AND (p_staff OR t.author_id = p_viewer)))
        AND (t.pinned, t.last_post_at, t.id) < (p_pinned, p_at, p_id)
    ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC
    LIMIT p_limit;
END;
$fn$;
