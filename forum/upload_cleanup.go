package forum

import (
	"context"
	"time"
)

// JobUploadCleanup removes the uploads nothing shows any more.
const JobUploadCleanup = "uploads.cleanup"

// UploadCleanupEvery is how often the orphans are looked for.
const UploadCleanupEvery = time.Hour

// UploadOrphanAge is how long an upload nothing shows is kept: time to
// write the post it was uploaded for.
const UploadOrphanAge = 24 * time.Hour

const deleteOrphanUploads = `
DELETE FROM uploads WHERE id IN (
	SELECT u.id FROM uploads u
	WHERE u.created_at < now() - $1 * interval '1 second'
	  AND u.removed_at IS NULL -- kept: the same content is refused
	  AND NOT EXISTS (SELECT 1 FROM member_avatars a WHERE a.upload_id = u.id)
	  AND NOT EXISTS (SELECT 1 FROM post_uploads pu JOIN posts p ON p.id = pu.post_id JOIN threads t ON t.id = p.thread_id
		WHERE pu.upload_id = u.id AND p.status <> 'deleted' AND t.status <> 'deleted')
	  AND NOT EXISTS (SELECT 1 FROM upload_owners o WHERE o.upload_id = u.id AND o.created_at >= now() - $1 * interval '1 second')
	ORDER BY u.id
	LIMIT 100
	FOR UPDATE SKIP LOCKED)
RETURNING sha256`

// CleanOrphanUploads removes, in batches of 100, the uploads older than
// age that no avatar and no post (but deleted ones) shows and that nobody
// uploaded again within age; their bytes go with them (in an object store,
// once their rows' removal has committed). It returns how many it removed.
func (db *DB) CleanOrphanUploads(ctx context.Context, age time.Duration) (int64, error) {
	return db.eraseUploadBytes(ctx, deleteOrphanUploads, age, "removing orphan uploads")
}

// eraseUploadBytes runs query, which takes at most 100 uploads older than
// age ($1, in seconds) out of the rows that keep their bytes and returns
// their contents' sha256, until it takes fewer; the bytes in an object
// store go once each batch has committed (a failure there leaves bytes no
// row keeps, which the sweep removes later). It returns how many it took.
func (db *DB) eraseUploadBytes(ctx context.Context, query string, age time.Duration, op string) (int64, error) {
	var total int64
	for {
		var shas []string
		if err := db.SelectContext(ctx, &shas, query, int64(age.Seconds())); err != nil {
			return total, Internal(op, err)
		}
		total += int64(len(shas))
		if err := db.blobStore().remove(ctx, db, shas); err != nil {
			return total, err
		}
		if len(shas) < 100 || ctx.Err() != nil {
			return total, nil
		}
	}
}

// UploadRemovedRetention is how long the bytes of an upload a moderator
// removed are kept, served to staff only: time for an appeal, or for the
// evidence the forum may be asked for. Then they are erased; the row
// stays, so that the same content is still refused.
const UploadRemovedRetention = 30 * 24 * time.Hour

// purgeRemovedUploads marks at most 100 uploads removed more than $1
// seconds ago purged and erases their bytes kept in PostgreSQL, in one
// statement.
const purgeRemovedUploads = `
WITH purged AS (
	UPDATE uploads SET purged_at = now() WHERE id IN (
		SELECT id FROM uploads
		WHERE removed_at < now() - $1 * interval '1 second' AND purged_at IS NULL
		ORDER BY id
		LIMIT 100
		FOR UPDATE SKIP LOCKED)
	RETURNING id, sha256
), erased AS (
	DELETE FROM upload_blobs b USING purged p WHERE b.upload_id = p.id
)
SELECT sha256 FROM purged`

// PurgeRemovedUploads erases, in batches of 100, the bytes of the uploads
// a moderator removed more than age ago, wherever they are stored, and
// keeps their rows (purged_at). It returns how many it purged.
func (db *DB) PurgeRemovedUploads(ctx context.Context, age time.Duration) (int64, error) {
	return db.eraseUploadBytes(ctx, purgeRemovedUploads, age, "purging removed uploads")
}

// SweepUploadBlobs removes the bytes older than age that no upload's row
// keeps (none names them, or it was purged): left in an object store by a server stopped between the removal
// of rows and of their bytes, or between storing bytes and a commit that
// failed. It returns how many it removed.
func (db *DB) SweepUploadBlobs(ctx context.Context, age time.Duration) (int, error) {
	return db.blobStore().sweep(ctx, db, age)
}

// UploadCleanupJob is the job handler of JobUploadCleanup.
func (db *DB) UploadCleanupJob(ctx context.Context, _ *Job) error {
	n, err := db.CleanOrphanUploads(ctx, UploadOrphanAge)
	if n > 0 && db.log != nil {
		db.log.Info("orphan uploads removed", "count", n)
	}
	if err != nil {
		return err
	}
	purged, err := db.PurgeRemovedUploads(ctx, UploadRemovedRetention)
	if purged > 0 && db.log != nil {
		db.log.Info("removed uploads' bytes erased", "count", purged)
	}
	if err != nil {
		return err
	}
	swept, err := db.SweepUploadBlobs(ctx, UploadOrphanAge)
	if swept > 0 && db.log != nil {
		db.log.Info("uploads' bytes without a row removed", "count", swept)
	}
	return err
}
