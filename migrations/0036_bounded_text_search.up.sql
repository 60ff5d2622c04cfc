-- What the full-text parser reads costs time linear in the text.
--
-- PostgreSQL's default text-search parser backtracks on long runs of
-- characters that could make a host name, a URL or an e-mail address
-- (letters and digits mixed with '_' or '-'): on each such run it tries the
-- longest token at every position, which is quadratic in the run's length.
-- A 31 KB post of "a_b_a_b_…" took 5 to 13 s to index (and as long again
-- for ts_headline in each search that found it), while the other replies
-- waited; 8,000 such characters alone took 0.3 s, 16,000 1.3 s.
--
-- palabre_search_text is what to_tsvector and ts_headline read instead of
-- the post's HTML:
--   * the tags are replaced by spaces (the parser skipped them anyway, and
--     their attributes are the longest runs without spaces);
--   * the text is cut after its first 100,000 characters (the longest post
--     an admin may allow: what lies beyond is not indexed);
--   * a space is put after every 64 characters without a space, so that no
--     run the parser backtracks on is longer than 64 characters: a bounded
--     cost per run, hence linear in all. Words are shorter than that; a
--     longer URL is indexed as its first 64 characters, then the rest, its
--     host and words still found.
-- Both regular expressions are matched in linear time (the HTML is
-- sanitized: every '<' opens a tag that '>' closes).
CREATE FUNCTION palabre_search_text(html text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(left(regexp_replace(html, '<[^>]*>', ' ', 'g'), 100000), '(\S{64})', '\1 ', 'g')
$$;

-- As in migration 0005, the parser now reading palabre_search_text; the
-- title is plain text (500 characters at most) but goes through it too, so
-- nothing reaches the parser unbounded. Posts indexed before keep their
-- vectors (they were stored, so their text was bearable); a new edit
-- re-indexes them this way.
CREATE OR REPLACE FUNCTION posts_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    title text := '';
BEGIN
    IF NEW.search_config IS NULL THEN
        NEW.search_config := palabre_search_config();
    END IF;
    IF NEW.number = 1 THEN
        SELECT t.title INTO title FROM threads t WHERE t.id = NEW.thread_id;
    END IF;
    NEW.search_vector :=
        setweight(to_tsvector(NEW.search_config, palabre_search_text(coalesce(title, ''))), 'A') ||
        setweight(to_tsvector(NEW.search_config, palabre_search_text(NEW.body_html)), 'B');
    RETURN NEW;
END;
$$;
