package forum_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/minio/minio-go/v7"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// uploadPNG is a w × h PNG whose pixels depend on seed: a content of its
// own for each test.
func uploadPNG(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x) ^ seed, uint8(y) + seed, seed, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// noisePNG is a w × h PNG of noise, which does not compress.
func noisePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rand.Read(img.Pix)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var seeds = make(chan uint8, 256)

func init() {
	for i := range 256 {
		seeds <- uint8(i)
	}
}

// newContent is a PNG no other test of the package uploads.
func newContent(t testing.TB) []byte {
	return uploadPNG(t, 20, 20, <-seeds)
}

func setSettings(t testing.TB, db *forum.DB, patch map[string]any) {
	t.Helper()
	raw := map[string]json.RawMessage{}
	for k, v := range patch {
		b, _ := json.Marshal(v)
		raw[k] = b
	}
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	if _, err := db.UpdateSettings(forumtest.As(admin), raw); err != nil {
		t.Fatal(err)
	}
}

// blobBackend is a store of uploads' bytes the storage tests run against:
// PostgreSQL, the default, and an S3-compatible server started by the test.
type blobBackend struct {
	db *forum.DB
	// stored reports whether the bytes of content sha are in the store.
	stored func(t *testing.T, sha string) bool
}

var blobBackends = []struct {
	name  string
	start func(t *testing.T) blobBackend
}{
	{"postgresql", func(t *testing.T) blobBackend {
		db := forumtest.DB(t)
		return blobBackend{db: db, stored: func(t *testing.T, sha string) bool {
			var n int
			if err := db.GetContext(context.Background(), &n, `
SELECT count(*) FROM upload_blobs b JOIN uploads u ON u.id = b.upload_id WHERE u.sha256 = $1`, sha); err != nil {
				t.Fatal(err)
			}
			return n == 1
		}}
	}},
	{"s3", func(t *testing.T) blobBackend {
		db, cfg := forumtest.WithS3(t)
		client, err := forumtest.S3Client(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return blobBackend{db: db, stored: func(t *testing.T, sha string) bool {
			_, err := client.StatObject(context.Background(), cfg.Bucket, sha, minio.StatObjectOptions{})
			if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
				t.Fatal(err)
			}
			var inDatabase int
			if err := db.GetContext(context.Background(), &inDatabase, `
SELECT count(*) FROM upload_blobs b JOIN uploads u ON u.id = b.upload_id WHERE u.sha256 = $1`, sha); err != nil || inDatabase != 0 {
				t.Fatalf("bytes in PostgreSQL too: %d %v", inDatabase, err)
			}
			return err == nil
		}}
	}},
}

// eachBlobBackend runs test against each store of uploads' bytes.
func eachBlobBackend(t *testing.T, test func(t *testing.T, b blobBackend)) {
	for _, b := range blobBackends {
		t.Run(b.name, func(t *testing.T) { test(t, b.start(t)) })
	}
}

func TestUploadsAreDeduplicatedByContent(t *testing.T) {
	eachBlobBackend(t, func(t *testing.T, b blobBackend) {
		db := b.db
		alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
		bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
		data := newContent(t)
		a, err := db.StoreUpload(forumtest.As(alice), data, "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		again, err := db.StoreUpload(forumtest.As(alice), data, "autre.png")
		if err != nil {
			t.Fatal(err)
		}
		bb, err := db.StoreUpload(forumtest.As(bob), data, "copie.png")
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != again.ID || a.ID != bb.ID || a.SHA256 != bb.SHA256 {
			t.Fatalf("ids %d %d %d: the same content stored twice", a.ID, again.ID, bb.ID)
		}
		var owners int
		if err := db.GetContext(context.Background(), &owners, `SELECT count(*) FROM upload_owners WHERE upload_id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		if !b.stored(t, a.SHA256) || owners != 2 {
			t.Fatalf("stored %v, owners %d, want 2", b.stored(t, a.SHA256), owners)
		}
		stored, err := db.UploadData(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		if a.Size != int64(len(stored)) || a.URL() != "/uploads/"+a.SHA256+".png" || a.Kind != forum.UploadImage {
			t.Fatalf("upload %+v, %d bytes stored", a, len(stored))
		}
		// Ranges are read from any offset.
		blob, err := db.OpenUpload(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		defer blob.Close()
		if _, err := blob.Seek(10, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 5)
		if _, err := io.ReadFull(blob, part); err != nil || !bytes.Equal(part, stored[10:15]) {
			t.Fatalf("bytes 10-14: %q %v, want %q", part, err, stored[10:15])
		}
	})
}

func TestUploadLimitsByTrustLevel(t *testing.T) {
	db := forumtest.DB(t)
	setSettings(t, db, map[string]any{
		"upload_min_trust_level": 1,
		"upload_max_kb":          []int{1, 1, 2, 1, 1},
		"uploads_per_day":        []int{1, 2, 3, 0, 0},
	})
	t.Cleanup(func() {
		def := forum.DefaultSettings()
		setSettings(t, db, map[string]any{"upload_min_trust_level": def.UploadMinTrustLevel,
			"upload_max_kb": def.UploadMaxKB, "uploads_per_day": def.UploadsPerDay})
	})
	newcomer := forumtest.MustMember(t, db, forum.RoleMember, 0)
	basic := forumtest.MustMember(t, db, forum.RoleMember, 1)
	moderator := forumtest.MustMember(t, db, forum.RoleModerator, 0)

	if _, err := db.StoreUpload(forumtest.As(newcomer), newContent(t), "a.png"); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Fatalf("trust level 0: %v", err)
	}
	big := noisePNG(t, 64, 64) // 16 kB of noise: over 1 kB, under 2 kB it is not
	if _, err := db.StoreUpload(forumtest.As(basic), big, "big.png"); forum.ErrorCode(err) != forum.ETOOLARGE {
		t.Fatalf("over the size: %v", err)
	}
	for i := range 2 {
		if _, err := db.StoreUpload(forumtest.As(basic), newContent(t), "ok.png"); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	if _, err := db.StoreUpload(forumtest.As(basic), newContent(t), "third.png"); forum.ErrorCode(err) != forum.ERATELIMITED {
		t.Fatalf("third upload of the day: %v", err)
	}
	// Staff are exempt from the daily count and have the largest size.
	for i := range 3 {
		if _, err := db.StoreUpload(forumtest.As(moderator), newContent(t), "mod.png"); err != nil {
			t.Fatalf("moderator's upload %d: %v", i+1, err)
		}
	}
	// An avatar needs no trust level, but counts.
	if _, err := db.SetAvatar(forumtest.As(newcomer), newContent(t)); err != nil {
		t.Fatalf("newcomer's avatar: %v", err)
	}
	if _, err := db.SetAvatar(forumtest.As(newcomer), newContent(t)); forum.ErrorCode(err) != forum.ERATELIMITED {
		t.Fatalf("newcomer's second avatar of the day: %v", err)
	}
}

func TestConcurrentUploadsDoNotPassTheDailyLimitTogether(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	limit := forum.DefaultSettings().UploadsPerDay[0]
	// Trust level 0 may not upload by default: an avatar may, and counts.
	errs := make(chan error, limit+3)
	for range limit + 3 {
		data := newContent(t)
		go func() {
			_, err := db.SetAvatar(forumtest.As(m), data)
			errs <- err
		}()
	}
	ok, limited := 0, 0
	for range limit + 3 {
		switch err := <-errs; forum.ErrorCode(err) {
		case "":
			ok++
		case forum.ERATELIMITED:
			limited++
		default:
			t.Fatal(err)
		}
	}
	if ok != limit || limited != 3 {
		t.Fatalf("%d stored, %d refused; want %d and 3", ok, limited, limit)
	}
}

// postWithImage stores a reply showing u, with the given status.
func postWithImage(t testing.TB, db *forum.DB, author *forum.Member, u *forum.Upload, status string) (*forum.Thread, *forum.Post) {
	t.Helper()
	cat := forumtest.MustCategory(t, db)
	ctx := forumtest.As(author)
	var th *forum.Thread
	var p *forum.Post
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: author.ID,
			Title: forumtest.Unique("Images "), BodyMarkdown: "corps", BodyHTML: "<p>corps</p>", Status: forum.StatusPublished})
		if err != nil {
			return err
		}
		p, err = forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.ID, AuthorID: author.ID,
			BodyMarkdown: "![photo](" + u.URL() + ")",
			BodyHTML:     `<p><img src="` + u.URL() + `" alt="photo"></p>`, Status: status})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return th, p
}

// TestHeldPostImagesAreNotPublic: an upload is public once a published
// post shows it; in a held or hidden post only, its uploader and staff see
// it.
func TestHeldPostImagesAreNotPublic(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	other := forumtest.MustMember(t, db, forum.RoleMember, 2)
	moderator := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	anonymous := context.Background()
	u, err := db.StoreUpload(forumtest.As(author), newContent(t), "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	visible := func(ctx context.Context) bool {
		t.Helper()
		_, err := db.UploadBySHA(ctx, u.SHA256)
		switch forum.ErrorCode(err) {
		case "":
			return true
		case forum.ENOTFOUND:
			return false
		}
		t.Fatal(err)
		return false
	}
	check := func(when string, anon, others, own, staff bool) {
		t.Helper()
		if got := [4]bool{visible(anonymous), visible(forumtest.As(other)), visible(forumtest.As(author)), visible(forumtest.As(moderator))}; got != [4]bool{anon, others, own, staff} {
			t.Fatalf("%s: anonymous, other member, uploader, moderator see it: %v", when, got)
		}
	}
	check("in no post yet", false, false, true, true)

	_, held := postWithImage(t, db, author, u, forum.StatusHeld)
	if ups, err := db.PostUploads(anonymous, held.ID); err != nil || len(ups) != 1 || ups[0].ID != u.ID {
		t.Fatalf("the held post's uploads: %v %v", ups, err)
	}
	check("in a held post", false, false, true, true)

	_, published := postWithImage(t, db, author, u, forum.StatusPublished)
	check("in a published post", true, true, true, true)

	if err := db.InTx(anonymous, func(tx *sqlx.Tx) error {
		return forum.SetPostStatusTx(anonymous, tx, published.ID, forum.StatusHidden)
	}); err != nil {
		t.Fatal(err)
	}
	check("in a hidden post", false, false, true, true)

	// An edit that drops the image unlinks it.
	if _, err := db.ExecContext(anonymous, `UPDATE posts SET body_html = '<p>plus d’image</p>' WHERE id = $1`, held.ID); err != nil {
		t.Fatal(err)
	}
	if ups, err := db.PostUploads(anonymous, held.ID); err != nil || len(ups) != 0 {
		t.Fatalf("after the edit: %v %v", ups, err)
	}
}

// TestOrphanUploadsAreCleaned: a day after its last upload, an upload no
// post or avatar shows is removed with its bytes; one a post shows stays,
// until the post is deleted.
func TestOrphanUploadsAreCleaned(t *testing.T) {
	eachBlobBackend(t, func(t *testing.T, b blobBackend) { testOrphanUploadsAreCleaned(t, b) })
}

func testOrphanUploadsAreCleaned(t *testing.T, b blobBackend) {
	db := b.db
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	orphan, err := db.StoreUpload(forumtest.As(m), newContent(t), "orphan.png")
	if err != nil {
		t.Fatal(err)
	}
	recent, err := db.StoreUpload(forumtest.As(m), newContent(t), "recent.png")
	if err != nil {
		t.Fatal(err)
	}
	shown, err := db.StoreUpload(forumtest.As(m), newContent(t), "shown.png")
	if err != nil {
		t.Fatal(err)
	}
	_, p := postWithImage(t, db, m, shown, forum.StatusPublished)
	avatar, err := db.SetAvatar(forumtest.As(m), newContent(t))
	if err != nil {
		t.Fatal(err)
	}
	backdate := func(ids ...int64) {
		for _, id := range ids {
			for _, q := range []string{`UPDATE uploads SET created_at = now() - interval '2 days' WHERE id = $1`,
				`UPDATE upload_owners SET created_at = now() - interval '2 days' WHERE upload_id = $1`} {
				if _, err := db.ExecContext(ctx, q, id); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	backdate(orphan.ID, shown.ID)
	if _, err := db.ExecContext(ctx, `UPDATE uploads SET created_at = now() - interval '2 days'
		WHERE id IN (SELECT upload_id FROM member_avatars WHERE member_id = $1)`, m.ID); err != nil {
		t.Fatal(err)
	}
	exists := func(id int64) bool {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM uploads WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if _, err := db.CleanOrphanUploads(ctx, forum.UploadOrphanAge); err != nil {
		t.Fatal(err)
	}
	if exists(orphan.ID) || !exists(recent.ID) || !exists(shown.ID) {
		t.Fatalf("after cleaning: orphan %v, recent %v, shown %v", exists(orphan.ID), exists(recent.ID), exists(shown.ID))
	}
	if _, err := db.UploadData(ctx, orphan); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Fatalf("the orphan's bytes: %v", err)
	}
	if b.stored(t, orphan.SHA256) || !b.stored(t, recent.SHA256) || !b.stored(t, shown.SHA256) {
		t.Fatalf("bytes after cleaning: orphan %v, recent %v, shown %v", b.stored(t, orphan.SHA256), b.stored(t, recent.SHA256), b.stored(t, shown.SHA256))
	}
	if got, err := db.MemberAvatar(ctx, m.ID); err != nil || got.URL(48) != avatar.URL(48) || got.URL(48) == "" {
		t.Fatalf("the avatar after cleaning: %v %v", got, err)
	}
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error { return forum.SetPostStatusTx(ctx, tx, p.ID, forum.StatusDeleted) }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAvatar(forumtest.As(m)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CleanOrphanUploads(ctx, forum.UploadOrphanAge); err != nil {
		t.Fatal(err)
	}
	if exists(shown.ID) || b.stored(t, shown.SHA256) {
		t.Fatal("the upload of a deleted post was kept")
	}
	if got, err := db.MemberAvatar(ctx, m.ID); err != nil || got != nil {
		t.Fatalf("the avatar after its removal: %v %v", got, err)
	}
}

// TestRemovedUploadsAreErasedAfterTheirRetention: a file a moderator
// removed is kept for staff during UploadRemovedRetention (an appeal,
// evidence), then its bytes are erased; its row stays, so that the same
// content is still refused.
func TestRemovedUploadsAreErasedAfterTheirRetention(t *testing.T) {
	eachBlobBackend(t, func(t *testing.T, b blobBackend) { testRemovedUploadsAreErased(t, b) })
}

func testRemovedUploadsAreErased(t *testing.T, b blobBackend) {
	db := b.db
	ctx := context.Background()
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	moderator := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	var uploads [3]*forum.Upload // removed long ago, removed lately, never removed
	var contents [3][]byte
	for i := range uploads {
		contents[i] = newContent(t)
		u, err := db.StoreUpload(forumtest.As(author), contents[i], "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		postWithImage(t, db, author, u, forum.StatusPublished)
		uploads[i] = u
	}
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := forum.RemoveUploadsTx(ctx, tx, []int64{uploads[0].ID, uploads[1].ID})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE uploads SET removed_at = now() - $2 * interval '1 second' - interval '1 hour' WHERE id = $1`,
		uploads[0].ID, int64(forum.UploadRemovedRetention.Seconds())); err != nil {
		t.Fatal(err)
	}
	if err := db.UploadCleanupJob(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if b.stored(t, uploads[0].SHA256) || !b.stored(t, uploads[1].SHA256) || !b.stored(t, uploads[2].SHA256) {
		t.Fatalf("bytes after the cleaning: removed long ago %v, lately %v, never %v",
			b.stored(t, uploads[0].SHA256), b.stored(t, uploads[1].SHA256), b.stored(t, uploads[2].SHA256))
	}
	var rows int
	if err := db.GetContext(ctx, &rows, `SELECT count(*) FROM uploads WHERE id = $1 AND purged_at IS NOT NULL`, uploads[0].ID); err != nil || rows != 1 {
		t.Fatalf("the purged upload's row: %d %v", rows, err)
	}
	if _, err := db.UploadBySHA(forumtest.As(moderator), uploads[0].SHA256); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Fatalf("staff asking for erased bytes: %v", err)
	}
	if u, err := db.UploadBySHA(forumtest.As(moderator), uploads[1].SHA256); err != nil {
		t.Fatalf("staff asking for a file removed lately: %v", err)
	} else if data, err := db.UploadData(ctx, &u.Upload); err != nil || len(data) == 0 {
		t.Fatalf("the bytes of a file removed lately: %d %v", len(data), err)
	}
	if _, err := db.UploadBySHA(forumtest.As(moderator), uploads[2].SHA256); err != nil {
		t.Fatalf("a file never removed: %v", err)
	}
	if _, err := db.StoreUpload(forumtest.As(author), contents[0], "again.png"); forum.AsError(err).Key != "uploads.removed_refused" {
		t.Fatalf("the erased content uploaded again: %v", err)
	}
	// A second run finds nothing more to erase.
	if n, err := db.PurgeRemovedUploads(ctx, forum.UploadRemovedRetention); err != nil || n != 0 {
		t.Fatalf("purging again: %d %v", n, err)
	}
}

// TestDeletedAccountLosesItsAvatar: a picture of oneself is personal data;
// the images of one's posts stay with the posts.
func TestDeletedAccountLosesItsAvatar(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	if _, err := db.SetAvatar(forumtest.As(m), newContent(t)); err != nil {
		t.Fatal(err)
	}
	u, err := db.StoreUpload(forumtest.As(m), newContent(t), "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	_, p := postWithImage(t, db, m, u, forum.StatusPublished)
	if err := db.DeleteAccount(forumtest.As(m), forumtest.Password); err != nil {
		t.Fatal(err)
	}
	if a, err := db.MemberAvatar(context.Background(), m.ID); err != nil || a != nil {
		t.Fatalf("the deleted account's avatar: %v %v", a, err)
	}
	if ups, err := db.PostUploads(context.Background(), p.ID); err != nil || len(ups) != 1 {
		t.Fatalf("the post's images: %v %v", ups, err)
	}
}

// TestExportListsTheMembersUploads: the data export lists the member's
// uploads (their addresses), and not another member's.
func TestExportListsTheMembersUploads(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	other := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mine, err := db.StoreUpload(forumtest.As(m), uploadPNG(t, 21, 13, 201), "jardin.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.StoreUpload(forumtest.As(other), uploadPNG(t, 22, 13, 202), "autre.png"); err != nil {
		t.Fatal(err)
	}
	exp, err := db.ExportAccount(forumtest.As(m))
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Uploads) != 1 {
		t.Fatalf("uploads in the export: %+v", exp.Uploads)
	}
	u := exp.Uploads[0]
	if u.URL != mine.URL() || u.Kind != "image" || u.Width != 21 || u.Height != 13 || u.Name != "jardin.png" || u.Size != mine.Size || u.Removed {
		t.Fatalf("exported upload %+v, stored %+v", u, mine)
	}
	// A file a moderator removed is listed without an address the member
	// could not open.
	if err := db.InTx(context.Background(), func(tx *sqlx.Tx) error {
		_, err := forum.RemoveUploadsTx(context.Background(), tx, []int64{mine.ID})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if exp, err = db.ExportAccount(forumtest.As(m)); err != nil || len(exp.Uploads) != 1 || !exp.Uploads[0].Removed || exp.Uploads[0].URL != "" {
		t.Fatalf("a removed upload in the export: %+v %v", exp.Uploads, err)
	}
}

// TestUnreachableObjectStoreStoresNothing: an upload whose bytes the
// object store does not take is refused as unavailable (503), and leaves
// no row: no image that would never show.
func TestUnreachableObjectStoreStoresNothing(t *testing.T) {
	// Nothing listens on port 1; the store is reachable at start-up or not,
	// the forum starts.
	store, err := forum.NewS3BlobStore(context.Background(), forum.S3Config{Endpoint: "http://127.0.0.1:1",
		Bucket: "palabre-uploads", AccessKeyID: "palabre", SecretAccessKey: "secret-de-test", Region: "us-east-1", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	db := forumtest.Instance(t)
	db.SetBlobStore(store)
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	data := newContent(t)
	if _, err := db.StoreUpload(forumtest.As(m), data, "photo.png"); forum.ErrorCode(err) != forum.EUNAVAILABLE {
		t.Fatalf("upload with the store down: %v", err)
	}
	if _, err := db.SetAvatar(forumtest.As(m), newContent(t)); forum.ErrorCode(err) != forum.EUNAVAILABLE {
		t.Fatalf("avatar with the store down: %v", err)
	}
	var rows, owned int
	if err := db.GetContext(context.Background(), &owned, `SELECT count(*) FROM upload_owners WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(context.Background(), &rows, `SELECT count(*) FROM uploads WHERE uploader_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || owned != 0 {
		t.Fatalf("%d uploads and %d owners stored without their bytes", rows, owned)
	}
	// Once the store answers again, the same file is taken.
	s3db, _ := forumtest.WithS3(t)
	if _, err := s3db.StoreUpload(forumtest.As(m), data, "photo.png"); err != nil {
		t.Fatal(err)
	}
}

// TestObjectStoreChecksItsBucket: a bucket the store does not have stops
// the start, named.
func TestObjectStoreChecksItsBucket(t *testing.T) {
	cfg := forumtest.S3(t)
	cfg.Bucket = "no-such-bucket"
	if _, err := forum.NewS3BlobStore(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), `"no-such-bucket"`) {
		t.Fatalf("a missing bucket: %v", err)
	}
}

// TestSweepRemovesObjectsWithoutARow: bytes left in the bucket without a
// row (a server stopped between two writes) are removed by the sweep; the
// bytes of uploads, and what is not a content in the bucket, stay.
func TestSweepRemovesObjectsWithoutARow(t *testing.T) {
	db, cfg := forumtest.WithS3(t)
	client, err := forumtest.S3Client(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	kept, err := db.StoreUpload(forumtest.As(m), newContent(t), "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	garbage := strings.Repeat("ab", 32)
	for _, key := range []string{garbage, "LISEZMOI.txt"} {
		if _, err := client.PutObject(ctx, cfg.Bucket, key, strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Only bytes older than the age given are swept: none at a day.
	if n, err := db.SweepUploadBlobs(ctx, forum.UploadOrphanAge); err != nil || n != 0 {
		t.Fatalf("sweeping a day's bytes: %d %v", n, err)
	}
	// A negative age takes everything as old.
	if n, err := db.SweepUploadBlobs(ctx, -time.Hour); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	var left []string
	for obj := range client.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		left = append(left, obj.Key)
	}
	want := []string{"LISEZMOI.txt", kept.SHA256}
	slices.Sort(left)
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("left in the bucket %v, want %v", left, want)
	}
}

// TestUploadsStoredBeforeTheMoveToS3StillShow: a forum that moves its
// uploads to an object store still serves the bytes PostgreSQL kept.
func TestUploadsStoredBeforeTheMoveToS3StillShow(t *testing.T) {
	m := forumtest.MustMember(t, forumtest.DB(t), forum.RoleMember, 2)
	data := newContent(t)
	before, err := forumtest.DB(t).StoreUpload(forumtest.As(m), data, "avant.png")
	if err != nil {
		t.Fatal(err)
	}
	s3db, _ := forumtest.WithS3(t)
	got, err := s3db.UploadData(context.Background(), before)
	if err != nil || int64(len(got)) != before.Size {
		t.Fatalf("bytes kept in PostgreSQL, read through the object store: %d %v", len(got), err)
	}
}

// TestAStalledObjectStoreHoldsAFewConnections: an object store that stops
// answering holds the uploads waiting on it, never the database's whole
// pool: the rest of the forum goes on reading and writing.
func TestAStalledObjectStoreHoldsAFewConnections(t *testing.T) {
	release := make(chan struct{})
	puts := make(chan struct{}, 100)
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			puts <- struct{}{}
			<-release
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK) // the bucket exists
	}))
	defer stalled.Close()
	store, err := forum.NewS3BlobStore(context.Background(), forum.S3Config{Endpoint: stalled.URL, Bucket: "palabre-uploads",
		AccessKeyID: "palabre", SecretAccessKey: "secret-de-test", Region: "us-east-1", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	const conns = 6
	db, err := forum.Open(context.Background(), forumtest.URL(t), forum.PoolOptions{MaxConns: conns, WaitFor: 10 * time.Second},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.SetBlobStore(store)
	var wg sync.WaitGroup
	defer wg.Wait() // after the store answers (deferred later, run first)
	defer func() { close(release) }()
	var members []*forum.Member
	for range conns + 2 {
		members = append(members, forumtest.MustMember(t, forumtest.DB(t), forum.RoleMember, 2))
	}
	for _, m := range members {
		wg.Go(func() {
			if _, err := db.StoreUpload(forumtest.As(m), newContent(t), "bloque.png"); forum.ErrorCode(err) != forum.EUNAVAILABLE {
				t.Errorf("an upload to a store that fails: %v", err)
			}
		})
	}
	for range 4 {
		<-puts
	}
	// The uploads hold at most 4 connections: a member's request still
	// gets one, at once.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range conns - 4 {
		if _, err := db.Categories(ctx); err != nil {
			t.Fatalf("reading while uploads wait on the store: %v", err)
		}
	}
	select {
	case <-puts:
		t.Fatal("more puts at once than the store is given")
	default:
	}
}
