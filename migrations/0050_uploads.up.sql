-- Uploads (issue 23): images and attachments stored in PostgreSQL,
-- content-addressed and deduplicated, their bytes apart from what pages and
-- checks read. forum/upload_store.go reads and writes them.

-- One row per distinct content (sha256 of the stored, re-encoded bytes),
-- whoever uploaded it first; the bytes are in upload_blobs.
CREATE TABLE IF NOT EXISTS uploads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    kind text NOT NULL CHECK (kind IN ('image', 'attachment', 'avatar')),
    content_type text NOT NULL,
    ext text NOT NULL CHECK (ext ~ '^[a-z0-9]{1,10}$'),
    size bigint NOT NULL CHECK (size >= 0),
    width integer NOT NULL DEFAULT 0,
    height integer NOT NULL DEFAULT 0,
    original_name text NOT NULL DEFAULT '',
    uploader_id bigint REFERENCES members(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS uploads_created ON uploads (created_at);

-- The bytes, read only to serve them: kept out of the rows that checks and
-- lists scan (TOAST would keep them out of line anyway; a table of their
-- own keeps them out of every SELECT * and of the uploads' index pages).
CREATE TABLE IF NOT EXISTS upload_blobs (
    upload_id bigint PRIMARY KEY REFERENCES uploads(id) ON DELETE CASCADE,
    data bytea NOT NULL
);

-- Who uploaded a content, and when: what the daily limits count (an upload
-- of a content one already has does not count again) and who may see an
-- upload no published post shows yet.
CREATE TABLE IF NOT EXISTS upload_owners (
    upload_id bigint NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, upload_id)
);
CREATE INDEX IF NOT EXISTS upload_owners_recent ON upload_owners (member_id, created_at);
CREATE INDEX IF NOT EXISTS upload_owners_upload ON upload_owners (upload_id);

-- Which post shows which upload, kept by the triggers below from the
-- post's rendered HTML: an upload is public once a published post shows it.
CREATE TABLE IF NOT EXISTS post_uploads (
    post_id bigint NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    upload_id bigint NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, upload_id)
);
CREATE INDEX IF NOT EXISTS post_uploads_upload ON post_uploads (upload_id);

-- A member's avatar, one upload per size the pages use.
CREATE TABLE IF NOT EXISTS member_avatars (
    member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    size integer NOT NULL CHECK (size > 0),
    upload_id bigint NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    PRIMARY KEY (member_id, size)
);
CREATE INDEX IF NOT EXISTS member_avatars_upload ON member_avatars (upload_id);

DROP TRIGGER IF EXISTS member_avatars_content_changed ON member_avatars;
CREATE TRIGGER member_avatars_content_changed AFTER INSERT OR DELETE OR UPDATE ON member_avatars
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();

-- post_uploads_sync links a post to the uploads its HTML shows
-- (/uploads/<sha256>.<ext>, in an image's src or a link's href), and
-- unlinks those it no longer shows. Every way a post is written (a reply
-- batch, a new thread, an edit, an approved pending edit) goes through it.
CREATE OR REPLACE FUNCTION post_uploads_sync()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    shas text[];
BEGIN
    SELECT coalesce(array_agg(DISTINCT m[1]), '{}') INTO shas
    FROM regexp_matches(NEW.body_html, '/uploads/([0-9a-f]{64})\.[a-z0-9]{1,10}', 'g') AS m;
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM post_uploads pu USING uploads u
        WHERE pu.post_id = NEW.id AND u.id = pu.upload_id AND NOT u.sha256 = ANY (shas);
    END IF;
    IF cardinality(shas) > 0 THEN
        INSERT INTO post_uploads (post_id, upload_id)
        SELECT NEW.id, u.id FROM uploads u WHERE u.sha256 = ANY (shas)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

-- The conditions keep the triggers off the posting path of posts without
-- uploads.
DROP TRIGGER IF EXISTS posts_uploads_inserted ON posts;
CREATE TRIGGER posts_uploads_inserted AFTER INSERT ON posts
    FOR EACH ROW WHEN (NEW.body_html LIKE '%/uploads/%') EXECUTE FUNCTION post_uploads_sync();
DROP TRIGGER IF EXISTS posts_uploads_updated ON posts;
CREATE TRIGGER posts_uploads_updated AFTER UPDATE OF body_html ON posts
    FOR EACH ROW WHEN (OLD.body_html IS DISTINCT FROM NEW.body_html
        AND (OLD.body_html LIKE '%/uploads/%' OR NEW.body_html LIKE '%/uploads/%'))
    EXECUTE FUNCTION post_uploads_sync();
