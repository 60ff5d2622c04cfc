-- Notifications, watching and muting, full-text search.

-- What a post refers to, recorded when it is stored (published or held), so
-- that the notifications of a held post can be sent when it is approved.
CREATE TABLE post_mentions (
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, member_id)
);
CREATE TABLE post_quotes (
    post_id         bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    quoted_post_id  bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, quoted_post_id)
);

-- A member watches (every reply; for a category, every new thread), mutes
-- (nothing but moderation outcomes) or resets to normal a thread or a
-- category. A thread's own row wins over its category's.
CREATE TABLE watches (
    member_id    bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    thread_id    bigint REFERENCES threads (id) ON DELETE CASCADE,
    category_id  bigint REFERENCES categories (id) ON DELETE CASCADE,
    level        text NOT NULL CHECK (level IN ('watching', 'normal', 'muted')),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((thread_id IS NULL) <> (category_id IS NULL))
);
CREATE UNIQUE INDEX watches_member_thread ON watches (member_id, thread_id) WHERE thread_id IS NOT NULL;
CREATE UNIQUE INDEX watches_member_category ON watches (member_id, category_id) WHERE category_id IS NOT NULL;
CREATE INDEX watches_thread_watching ON watches (thread_id) WHERE level = 'watching';
CREATE INDEX watches_category_watching ON watches (category_id) WHERE level = 'watching';

-- One row per thing to tell a member. Likes are batched: one row per post and
-- day (batch_day) that accumulates the likers in data.
CREATE TABLE notifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN
                ('reply', 'mention', 'quote', 'like', 'moderation', 'watching', 'new_thread')),
    actor_id    bigint REFERENCES members (id) ON DELETE SET NULL,
    thread_id   bigint REFERENCES threads (id) ON DELETE CASCADE,
    post_id     bigint REFERENCES posts (id) ON DELETE CASCADE,
    data        jsonb NOT NULL DEFAULT '{}',
    batch_day   date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
-- The list, newest first (keyset on id), and the unread badge.
CREATE INDEX notifications_member ON notifications (member_id, id DESC);
CREATE INDEX notifications_unread ON notifications (member_id) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_like_batch ON notifications (member_id, post_id, batch_day) WHERE kind = 'like';

-- Full-text search. Each post is indexed in the language the site had when
-- it was written (search_config), with accents folded (unaccent) so that
-- "eleve" finds "élève"; searches match every post in its own language, so
-- a change of the site's language loses nothing and needs no re-indexing.
-- The thread title (weight A) is indexed with the opening post (body:
-- weight B); to_tsvector's parser skips HTML tags and entities of body_html.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION palabre_french (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION palabre_french
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION palabre_english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION palabre_english
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- The server records its default language (PALABRE_LOCALE) here at start-up;
-- the locale setting, when an admin set one, wins.
CREATE TABLE search_default (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    locale    text NOT NULL CHECK (locale IN ('fr', 'en'))
);

CREATE FUNCTION palabre_search_config() RETURNS regconfig LANGUAGE sql STABLE AS $$
    SELECT CASE coalesce(nullif((SELECT value #>> '{}' FROM settings WHERE key = 'locale'), ''),
                         (SELECT locale FROM search_default), 'fr')
        WHEN 'en' THEN 'palabre_english'::regconfig
        ELSE 'palabre_french'::regconfig
    END
$$;

ALTER TABLE posts
    ADD COLUMN search_config regconfig,
    ADD COLUMN search_vector tsvector;

CREATE FUNCTION posts_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
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
        setweight(to_tsvector(NEW.search_config, coalesce(title, '')), 'A') ||
        setweight(to_tsvector(NEW.search_config, NEW.body_html), 'B');
    RETURN NEW;
END;
$$;
CREATE TRIGGER posts_search_vector BEFORE INSERT OR UPDATE OF body_html, search_config ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_search_vector();

-- A renamed thread re-indexes its opening post.
CREATE FUNCTION threads_search_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET search_config = search_config WHERE thread_id = NEW.id AND number = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER threads_search_title AFTER UPDATE OF title ON threads
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION threads_search_title();

UPDATE posts SET search_config = palabre_search_config();
CREATE INDEX posts_search ON posts USING gin (search_vector);
