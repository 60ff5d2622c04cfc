package forum

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/palabre/palabre/forum/upload"
)

// MaxUploadKB is the largest upload any setting may allow (25 MiB): the
// server reads at most this much of an upload's request.
const MaxUploadKB = 25 * 1024

// Upload is a stored file: an image re-encoded by the forum, an avatar, or
// an attachment the settings allow. Its address is the sha256 of its
// bytes, so the same content is stored once.
type Upload struct {
	ID           int64     `db:"id" json:"id"`
	SHA256       string    `db:"sha256" json:"sha256"`
	Kind         string    `db:"kind" json:"kind"` // image, attachment, avatar
	ContentType  string    `db:"content_type" json:"content_type"`
	Ext          string    `db:"ext" json:"-"`
	Size         int64     `db:"size" json:"size"`
	Width        int       `db:"width" json:"width"`
	Height       int       `db:"height" json:"height"`
	OriginalName string    `db:"original_name" json:"original_name"`
	UploaderID   *int64    `db:"uploader_id" json:"-"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	// RemovedAt is when a moderator removed the upload (a report): served
	// to staff only from then on.
	RemovedAt *time.Time `db:"removed_at" json:"-"`
	// PurgedAt is when the bytes of a removed upload were erased
	// (UploadRemovedRetention after its removal): served to no one.
	PurgedAt *time.Time `db:"purged_at" json:"-"`
}

// Upload kinds.
const (
	UploadImage      = "image"
	UploadAttachment = "attachment"
	UploadAvatar     = "avatar"
)

// UploadURL is the immutable address of an upload's bytes.
func UploadURL(sha256, ext string) string { return "/uploads/" + sha256 + "." + ext }

// URL is the upload's immutable address.
func (u *Upload) URL() string { return UploadURL(u.SHA256, u.Ext) }

// Inline reports whether the upload may be shown by the browser (a
// re-encoded image); anything else is served as an attachment.
func (u *Upload) Inline() bool { return u.Kind == UploadImage || u.Kind == UploadAvatar }

// imageWork holds the processor that decodes images, created on first use
// and shared by the requests of this instance.
type imageWork struct {
	once sync.Once
	p    *upload.Processor
}

func (w *imageWork) get() *upload.Processor {
	w.once.Do(func() { w.p = upload.NewProcessor(upload.DefaultSlots(), upload.DefaultMaxPixels) })
	return w.p
}

// validateUploads checks the upload settings.
func (s *Settings) validateUploads() error {
	bad := func(field, key string, args map[string]any) error {
		return Errorf(EINVALID, key, args).OnField(field)
	}
	if s.UploadMinTrustLevel < 0 || s.UploadMinTrustLevel > 4 {
		return bad("upload_min_trust_level", "settings.trust_level_invalid", nil)
	}
	for tl := range 5 {
		if s.UploadMaxKB[tl] < 1 || s.UploadMaxKB[tl] > MaxUploadKB {
			return bad("upload_max_kb", "settings.out_of_range", map[string]any{"Min": 1, "Max": MaxUploadKB})
		}
		if s.UploadsPerDay[tl] < 0 {
			return bad("uploads_per_day", "settings.not_negative", nil)
		}
	}
	seen := map[string]bool{}
	exts := make([]string, 0, len(s.AttachmentExtensions))
	for _, e := range s.AttachmentExtensions {
		e = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(e), "."))
		if e == "" || seen[e] {
			continue
		}
		if upload.Extension("f."+e) != e || upload.NeverAttachable[e] {
			return bad("attachment_extensions", "uploads.extension_refused", map[string]any{"Ext": e})
		}
		seen[e] = true
		exts = append(exts, e)
	}
	s.AttachmentExtensions = exts
	return nil
}

// uploadError maps the processing's errors to the forum's.
func uploadError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, upload.ErrTooManyPixels), errors.Is(err, upload.ErrTooManyFrames):
		return Errorf(ETOOLARGE, "uploads.too_many_pixels", map[string]any{"Max": upload.DefaultMaxPixels / 1_000_000})
	case errors.Is(err, upload.ErrCorrupt):
		return Errorf(EINVALID, "uploads.corrupt", nil).OnField("file")
	case errors.Is(err, upload.ErrNotImage):
		return Errorf(EINVALID, "uploads.not_an_image", nil).OnField("file")
	case errors.Is(err, upload.ErrNotAllowed):
		return Errorf(EINVALID, "uploads.type_not_allowed", nil).OnField("file")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Errorf(EUNAVAILABLE, "uploads.busy", nil)
	}
	return Internal("processing an upload", err)
}

// UploadLimit is the largest file, in bytes, the member of ctx may upload
// now, checked before their request's file is read: EFORBIDDEN when they
// may not upload at all (an avatar needs no trust level).
func (db *DB) UploadLimit(ctx context.Context, avatar bool) (int64, error) {
	m, err := db.RequirePoster(ctx)
	if err != nil {
		return 0, err
	}
	s, err := db.Settings(ctx)
	if err != nil {
		return 0, err
	}
	if !avatar && !m.IsStaff() && m.TrustLevel < s.UploadMinTrustLevel {
		return 0, Errorf(EFORBIDDEN, "uploads.trust_level_too_low", map[string]any{"Level": s.UploadMinTrustLevel})
	}
	return int64(s.UploadMaxKB[uploadLevel(m)]) * 1024, nil
}

// uploadLevel is the trust level whose limits apply to m: staff get the
// highest.
func uploadLevel(m *Member) int {
	if m.IsStaff() {
		return TrustLeader
	}
	return min(max(m.TrustLevel, 0), 4)
}
