-- A member may report one upload (an image, an attachment) of a post, not
-- only the post: the report names the post, where moderators see it, and the
-- upload. One open report per reporter and upload; one open report per
-- reporter and post besides (a report of the post itself).
ALTER TABLE reports ADD COLUMN IF NOT EXISTS upload_id bigint REFERENCES uploads(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS reports_upload ON reports (upload_id) WHERE upload_id IS NOT NULL;
DROP INDEX IF EXISTS reports_open_post;
CREATE UNIQUE INDEX reports_open_post ON reports (reporter_id, post_id)
    WHERE outcome = '' AND post_id IS NOT NULL AND upload_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS reports_open_upload ON reports (reporter_id, upload_id)
    WHERE outcome = '' AND upload_id IS NOT NULL;

-- An upload a moderator removed: served to nobody but staff, and not taken
-- again when someone uploads the same content.
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS removed_at timestamptz;
