-- The bytes of an upload a moderator removed are kept for a while (an
-- appeal, evidence the forum may be asked for), then erased by the
-- cleaning job (forum/upload_cleanup.go): purged_at says when. The row
-- stays, so that the same content is still refused. Expand only: an older
-- binary never purges and serves a purged upload to staff as missing.
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS purged_at timestamptz;
CREATE INDEX IF NOT EXISTS uploads_removed_unpurged ON uploads (removed_at)
    WHERE removed_at IS NOT NULL AND purged_at IS NULL;
