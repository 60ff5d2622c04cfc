package forum

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum/upload"
)

const uploadColumns = `id, sha256, kind, content_type, ext, size, width, height, original_name, uploader_id, created_at, removed_at, purged_at`

// StoreUpload stores a file the member of ctx uploads for their posts. Its
// type is decided by its bytes: an image (JPEG, PNG, GIF, WebP) is decoded
// and encoded again; anything else must be of a kind the settings allow as
// an attachment. The member's trust level decides whether they may upload,
// how large and how many a day (uploads.* errors). The same content is
// stored once, whoever uploads it.
func (db *DB) StoreUpload(ctx context.Context, data []byte, name string) (*Upload, error) {
	m, s, err := db.uploadChecks(ctx, data, false)
	if err != nil {
		return nil, err
	}
	var f *upload.File
	if upload.Sniff(data) != "" {
		f, err = db.images.get().Image(ctx, data)
	} else {
		f, err = upload.Attachment(data, name, s.AttachmentExtensions)
	}
	if err != nil {
		return nil, uploadError(err)
	}
	kind := UploadImage
	if !f.Image {
		kind = UploadAttachment
	}
	release, err := db.blobStore().reserve(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var out *Upload
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockUploads(ctx, tx, m); err != nil {
			return err
		}
		if err := checkUploadsPerDay(ctx, tx, m, s, 1); err != nil {
			return err
		}
		out, err = db.storeFileTx(ctx, tx, m, f, kind, cleanName(name), true)
		return err
	})
	return out, err
}

// uploadChecks are the checks before any decoding: the member may upload
// (uploadLimit) a file of this size.
func (db *DB) uploadChecks(ctx context.Context, data []byte, avatar bool) (*Member, *Settings, error) {
	limit, err := db.UploadLimit(ctx, avatar)
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, nil, Errorf(ETOOLARGE, "uploads.too_large", map[string]any{"Max": limit / 1024}).OnField("file")
	}
	if len(data) == 0 {
		return nil, nil, Errorf(EINVALID, "uploads.empty", nil).OnField("file")
	}
	s, err := db.Settings(ctx)
	if err != nil {
		return nil, nil, err
	}
	return MemberFrom(ctx), s, nil
}

// lockUploads serialises a member's uploads, so that two at once cannot
// both pass the daily count.
func lockUploads(ctx context.Context, tx *sqlx.Tx, m *Member) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('palabre.uploads:' || $1::text, 0))`, m.ID)
	return Internal("locking a member's uploads", err)
}

const countRecentUploads = `
SELECT count(*) FROM upload_owners WHERE member_id = $1 AND created_at > now() - interval '1 day'`

// checkUploadsPerDay refuses n more uploads when the member's trust level
// allows no more today (staff are exempt).
func checkUploadsPerDay(ctx context.Context, tx *sqlx.Tx, m *Member, s *Settings, n int) error {
	limit := s.UploadsPerDay[uploadLevel(m)]
	if limit == 0 || m.IsStaff() {
		return nil
	}
	var count int
	if err := tx.GetContext(ctx, &count, countRecentUploads, m.ID); err != nil {
		return Internal("counting uploads", err)
	}
	if count+n > limit {
		return Errorf(ERATELIMITED, "uploads.per_day", map[string]any{"Max": limit}).After(time.Hour)
	}
	return nil
}

const (
	insertUpload = `
INSERT INTO uploads (sha256, kind, content_type, ext, size, width, height, original_name, uploader_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (sha256) DO NOTHING
RETURNING ` + uploadColumns
	selectUploadForShare = `SELECT ` + uploadColumns + ` FROM uploads WHERE sha256 = $1 FOR SHARE`
	upsertUploadOwner    = `
INSERT INTO upload_owners (upload_id, member_id) VALUES ($1, $2)
ON CONFLICT (member_id, upload_id) DO UPDATE SET created_at = now()`
)

// storeFileTx stores f unless its content is stored already, and records
// m as one who uploaded it when owned (what the daily limit counts).
func (db *DB) storeFileTx(ctx context.Context, tx *sqlx.Tx, m *Member, f *upload.File, kind, name string, owned bool) (*Upload, error) {
	var u Upload
	err := tx.GetContext(ctx, &u, insertUpload, f.SHA256, kind, f.ContentType, f.Ext, len(f.Data), f.Width, f.Height, name, m.ID)
	switch ErrorCode(notFound(err, "", "")) {
	case "":
		// The bytes are stored before the row commits: a store that
		// fails leaves no row behind.
		if err := db.blobStore().put(ctx, db, tx, &u, f.Data); err != nil {
			return nil, err
		}
	case ENOTFOUND:
		// Stored already (by anyone): the row is kept from the orphans'
		// cleaning until this transaction ends.
		if err := tx.GetContext(ctx, &u, selectUploadForShare, f.SHA256); err != nil {
			return nil, notFound(err, "uploads.not_found", "reading an upload")
		}
		if u.RemovedAt != nil {
			// A moderator removed this content: it is not taken again.
			return nil, Errorf(EINVALID, "uploads.removed_refused", nil).OnField("file")
		}
	default:
		return nil, Internal("storing an upload", err)
	}
	if !owned {
		return &u, nil
	}
	if _, err := tx.ExecContext(ctx, upsertUploadOwner, u.ID, m.ID); err != nil {
		return nil, Internal("recording an upload's owner", err)
	}
	return &u, nil
}

// cleanName keeps the base of a file name, as text PostgreSQL accepts, at
// most 200 characters: shown in the attachment's Content-Disposition.
func cleanName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = toValidText(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name))
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

const selectServedUpload = `
SELECT ` + uploadColumns + `,
	EXISTS (SELECT 1 FROM member_avatars a WHERE a.upload_id = u.id)
	OR EXISTS (SELECT 1 FROM post_uploads pu JOIN posts p ON p.id = pu.post_id JOIN threads t ON t.id = p.thread_id
		WHERE pu.upload_id = u.id AND p.status = 'published' AND t.status = 'published') AS public,
	EXISTS (SELECT 1 FROM upload_owners o WHERE o.upload_id = u.id AND o.member_id = $2) AS owned
FROM uploads u WHERE u.sha256 = $1`

// ServedUpload is an upload as the reader of ctx may see it.
type ServedUpload struct {
	Upload
	Public bool `db:"public"` // anyone may see it: anything else is for its owners and staff only
	Owned  bool `db:"owned"`
}

// UploadBySHA returns the upload at sha256 when the reader of ctx may see
// it: everyone once a published post or an avatar shows it; before (an
// upload not yet in a post, or in a held or hidden post only), the members
// who uploaded it and staff; once a moderator removed it, staff only, and
// no one once its bytes were erased (PurgeRemovedUploads).
// ENOTFOUND otherwise.
func (db *DB) UploadBySHA(ctx context.Context, sha256 string) (*ServedUpload, error) {
	var u ServedUpload
	var reader int64
	m := MemberFrom(ctx)
	if m != nil {
		reader = m.ID
	}
	if err := db.GetContext(ctx, &u, selectServedUpload, sha256, reader); err != nil {
		return nil, notFound(err, "uploads.not_found", "reading an upload")
	}
	if u.PurgedAt != nil || u.RemovedAt != nil && !m.IsStaff() {
		return nil, Errorf(ENOTFOUND, "uploads.removed", nil)
	}
	if !u.Public && !u.Owned && !m.IsStaff() {
		return nil, Errorf(ENOTFOUND, "uploads.not_found", nil)
	}
	return &u, nil
}

// PostUploads lists the uploads a post shows (kept from its HTML by the
// database when the post is written).
func (db *DB) PostUploads(ctx context.Context, postID int64) ([]Upload, error) {
	var out []Upload
	err := db.SelectContext(ctx, &out, `
SELECT `+prefixColumns("u.", uploadColumns)+` FROM post_uploads pu JOIN uploads u ON u.id = pu.upload_id
WHERE pu.post_id = $1 ORDER BY u.id`, postID)
	return out, Internal("listing a post's uploads", err)
}

func prefixColumns(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// RemoveUploadsTx marks uploads removed by a moderator (a report upheld):
// from then on only staff are served them, and the same content is not
// taken again. It returns those it removed (not removed before).
func RemoveUploadsTx(ctx context.Context, tx *sqlx.Tx, ids []int64) ([]Upload, error) {
	var out []Upload
	err := tx.SelectContext(ctx, &out, `
UPDATE uploads SET removed_at = now() WHERE id = ANY($1) AND removed_at IS NULL
RETURNING `+uploadColumns, pq.Int64Array(ids))
	return out, Internal("removing uploads", err)
}
