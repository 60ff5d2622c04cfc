package forum

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum/upload"
)

// Avatar is a member's uploaded picture, one URL per side in pixels
// (upload.AvatarSizes); a member without one has a generated avatar.
type Avatar map[int]string

// URL is the avatar's address at the smallest size of at least side
// pixels, "" for a member without an uploaded avatar.
func (a Avatar) URL(side int) string {
	best := 0
	for size := range a {
		switch {
		case best == 0,
			size >= side && (best < side || size < best), // a closer size at least as large
			best < side && size > best:                   // nothing large enough yet: the largest
			best = size
		}
	}
	return a[best]
}

// SetAvatar makes an uploaded picture the avatar of the member of ctx:
// its centre square, resized to each of upload.AvatarSizes. It counts as
// one upload of the day.
func (db *DB) SetAvatar(ctx context.Context, data []byte) (Avatar, error) {
	m, s, err := db.uploadChecks(ctx, data, true)
	if err != nil {
		return nil, err
	}
	files, err := db.images.get().Avatar(ctx, data, upload.AvatarSizes)
	if err != nil {
		return nil, uploadError(err)
	}
	release, err := db.blobStore().reserve(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := Avatar{}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockUploads(ctx, tx, m); err != nil {
			return err
		}
		if err := checkUploadsPerDay(ctx, tx, m, s, 1); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_avatars WHERE member_id = $1`, m.ID); err != nil {
			return Internal("replacing an avatar", err)
		}
		for i, f := range files {
			// The largest size counts as the member's upload; the others
			// come with it.
			u, err := db.storeFileTx(ctx, tx, m, f, UploadAvatar, "", i == len(files)-1)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO member_avatars (member_id, size, upload_id) VALUES ($1, $2, $3)`,
				m.ID, f.Width, u.ID); err != nil {
				return Internal("storing an avatar", err)
			}
			out[f.Width] = u.URL()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.avatarChanged()
	return out, nil
}

// avatarChanged drops what shows avatars on this instance at once (the
// others hear of it on ChannelContent, from member_avatars' trigger).
func (db *DB) avatarChanged() {
	db.faces.Drop()
	db.snapshots.Drop()
}

// DeleteAvatar removes the uploaded avatar of the member of ctx: the
// generated one is shown again. Its files are cleaned with the orphans.
func (db *DB) DeleteAvatar(ctx context.Context) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	if _, err = db.ExecContext(ctx, `DELETE FROM member_avatars WHERE member_id = $1`, m.ID); err != nil {
		return Internal("removing an avatar", err)
	}
	db.avatarChanged()
	return nil
}

// MemberAvatar returns a member's uploaded avatar, nil when they have none.
func (db *DB) MemberAvatar(ctx context.Context, memberID int64) (Avatar, error) {
	var rows []struct {
		Size   int    `db:"size"`
		SHA256 string `db:"sha256"`
		Ext    string `db:"ext"`
	}
	err := db.SelectContext(ctx, &rows, `
SELECT a.size, u.sha256, u.ext FROM member_avatars a JOIN uploads u ON u.id = a.upload_id WHERE a.member_id = $1`, memberID)
	if err != nil {
		return nil, Internal("reading an avatar", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := Avatar{}
	for _, r := range rows {
		out[r.Size] = UploadURL(r.SHA256, r.Ext)
	}
	return out, nil
}

// ParseAvatar reads an avatar as the queries that read it with other rows
// write it: "size:sha256.ext" for each size, separated by spaces; nil for
// "".
func ParseAvatar(s string) Avatar {
	if s == "" {
		return nil
	}
	out := Avatar{}
	for _, f := range strings.Fields(s) {
		size, name, ok := strings.Cut(f, ":")
		sum, ext, ok2 := strings.Cut(name, ".")
		n, err := strconv.Atoi(size)
		if !ok || !ok2 || err != nil {
			continue
		}
		out[n] = UploadURL(sum, ext)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Face is what the pages show of a member beside what they wrote: their
// display name (for the initials of a generated avatar) and their
// uploaded avatar, nil for none.
type Face struct {
	DisplayName string
	Avatar      Avatar
}

// faceBudget bounds the memory of the faces cache.
const faceBudget = 4 << 20

// Faces returns the faces of members by id (lists, notifications), from a
// cache dropped with every change to what pages show; the members missing
// from it are read with one query.
func (db *DB) Faces(ctx context.Context, ids []int64) (map[int64]Face, error) {
	out := make(map[int64]Face, len(ids))
	var missing pq.Int64Array
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		if f, ok := db.faces.Get(id); ok {
			out[id] = f
		} else if !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	gen := db.faces.Generation()
	var rows []struct {
		ID          int64  `db:"id"`
		DisplayName string `db:"display_name"`
		Avatar      string `db:"avatar"`
	}
	err := db.SelectContext(ctx, &rows, `
SELECT m.id, m.display_name, coalesce((
	SELECT string_agg(ma.size::text || ':' || u.sha256 || '.' || u.ext, ' ')
	FROM member_avatars ma JOIN uploads u ON u.id = ma.upload_id WHERE ma.member_id = m.id), '') AS avatar
FROM members m WHERE m.id = ANY($1)`, missing)
	if err != nil {
		return nil, Internal("reading members' avatars", err)
	}
	for _, r := range rows {
		f := Face{DisplayName: r.DisplayName, Avatar: ParseAvatar(r.Avatar)}
		out[r.ID] = f
		db.faces.Put(gen, r.ID, f, 64+len(r.DisplayName)+len(r.Avatar))
	}
	return out, nil
}
