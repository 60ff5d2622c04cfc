package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

var uploadSeed atomic.Uint32

// testPNG is a small PNG no other test uploads.
func testPNG(t testing.TB) []byte {
	t.Helper()
	seed := uploadSeed.Add(1)
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			img.Set(x, y, color.RGBA{uint8(x) ^ uint8(seed), uint8(y) + uint8(seed>>8), uint8(seed), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// multipartFile is a multipart body with one file in the field "file",
// and its Content-Type.
func multipartFile(t testing.TB, name string, data []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

func withHeaders(base map[string]string, more ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		out[more[i]] = more[i+1]
	}
	return out
}

// upload posts a file to the API as the member of auth.
func upload(t testing.TB, s *Server, auth map[string]string, name string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartFile(t, name, data)
	return s.do(t, request{method: "POST", path: "/api/v1/uploads", body: body, header: withHeaders(auth, "Content-Type", ct)})
}

func decodeUpload(t testing.TB, w *httptest.ResponseRecorder) uploadJSON {
	t.Helper()
	var u uploadJSON
	if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	return u
}

// uploadStores are the stores of uploads' bytes the serving tests run
// against: PostgreSQL (the test server) and an S3-compatible server the
// test starts, with a server of their own over the same database.
var uploadStores = []struct {
	name  string
	start func(t *testing.T) (*Server, *forum.DB)
}{
	{"postgresql", func(t *testing.T) (*Server, *forum.DB) { return newTestServer(t), forumtest.DB(t) }},
	{"s3", func(t *testing.T) (*Server, *forum.DB) {
		db, _ := forumtest.WithS3(t)
		return newServerOver(t, db), db
	}},
}

// newServerOver is a server as the test server is, over db.
func newServerOver(t *testing.T, db *forum.DB) *Server {
	t.Helper()
	cfg, err := LoadConfig(envOf(map[string]string{"PALABRE_MAX_BODY_BYTES": "4096", "PALABRE_PAGE_CACHE": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUploadAnImageAndServeIt(t *testing.T) {
	for _, store := range uploadStores {
		t.Run(store.name, func(t *testing.T) {
			s, db := store.start(t)
			testUploadAnImageAndServeIt(t, s, db)
		})
	}
}

func testUploadAnImageAndServeIt(t *testing.T, s *Server, db *forum.DB) {
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	auth := bearer(t, db, m)
	w := upload(t, s, auth, "vacances.png", testPNG(t))
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	var raw map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "url", "width", "height"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("no %q in %s", k, w.Body)
		}
	}
	u := decodeUpload(t, w)
	if u.Width != 40 || u.Height != 30 || !strings.HasPrefix(u.URL, "/uploads/") || !strings.HasSuffix(u.URL, ".png") ||
		u.Markdown != "![vacances]("+u.URL+")" {
		t.Fatalf("answer %+v", u)
	}
	sha := strings.TrimSuffix(strings.TrimPrefix(u.URL, "/uploads/"), ".png")

	// Not in a published post yet: its uploader only.
	if w := s.do(t, request{path: u.URL}); w.Code != http.StatusNotFound {
		t.Fatalf("anonymous before any post: %d", w.Code)
	}
	w = s.do(t, request{path: u.URL, header: auth})
	if w.Code != 200 {
		t.Fatalf("uploader: %d %s", w.Code, w.Body)
	}
	h := w.Header()
	for k, want := range map[string]string{
		"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "ETag": `"` + sha + `"`,
		"Cache-Control":       "private, max-age=31536000, immutable",
		"Content-Disposition": "inline; filename=vacances.png",
	} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
		t.Errorf("CSP %q", csp)
	}
	full := w.Body.Bytes()
	if _, err := png.Decode(bytes.NewReader(full)); err != nil {
		t.Fatalf("the answer is no PNG: %v", err)
	}

	// Ranges and revalidation.
	w = s.do(t, request{path: u.URL, header: withHeaders(auth, "Range", "bytes=0-9")})
	if w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), full[:10]) ||
		w.Header().Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(full)) {
		t.Fatalf("range: %d %q %q", w.Code, w.Header().Get("Content-Range"), w.Body.Bytes())
	}
	w = s.do(t, request{path: u.URL, header: withHeaders(auth, "Range", fmt.Sprintf("bytes=%d-", len(full)-5))})
	if w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), full[len(full)-5:]) {
		t.Fatalf("suffix range: %d", w.Code)
	}
	w = s.do(t, request{path: u.URL, header: withHeaders(auth, "If-None-Match", `"`+sha+`"`)})
	if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("revalidation: %d", w.Code)
	}
	// The address names the content: another extension is no address.
	if w := s.do(t, request{path: "/uploads/" + sha + ".html", header: auth}); w.Code != http.StatusNotFound {
		t.Fatalf("another extension: %d", w.Code)
	}

	// The same content again is the same upload.
	if again := decodeUpload(t, upload(t, s, auth, "copie.png", full)); again.URL != u.URL {
		t.Fatalf("re-upload of the stored bytes: %+v", again)
	}
}

func TestUploadRefusals(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	member := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 1))
	newcomer := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 0))
	limit := forum.DefaultSettings().UploadMaxKB[1] * 1024

	ihdr := binary.BigEndian.AppendUint32(nil, 100000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(append(chunk, "IHDR"...), ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	bomb := append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
	oversize := make([]byte, limit+1)
	rand.Read(oversize)

	cases := []struct {
		label  string
		auth   map[string]string
		name   string
		data   []byte
		status int
		code   string
	}{
		{"anonymous", nil, "a.png", testPNG(t), 401, forum.EUNAUTHORIZED},
		{"trust level 0", newcomer, "a.png", testPNG(t), 403, forum.EFORBIDDEN},
		{"HTML named .png", member, "photo.png", []byte("<html><script>alert(document.cookie)</script></html>"), 400, forum.EINVALID},
		{"SVG", member, "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 400, forum.EINVALID},
		{"pixel bomb", member, "bomb.png", bomb, 413, forum.ETOOLARGE},
		{"oversize file", member, "big.png", oversize, 413, forum.ETOOLARGE},
		{"empty file", member, "empty.png", nil, 400, forum.EINVALID},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			w := upload(t, s, c.auth, c.name, c.data)
			if w.Code != c.status || decodeError(t, w).Code != c.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, c.status, c.code)
			}
		})
	}
	w := s.do(t, request{method: "POST", path: "/api/v1/uploads", body: `{"file": "x"}`, header: member})
	if w.Code != 400 || decodeError(t, w).Field != "file" {
		t.Fatalf("no multipart body: %d %s", w.Code, w.Body)
	}
}

func TestAttachmentsAreDownloadsOnlyWhenAllowed(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := bearer(t, db, forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	member := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2))
	pdf := []byte("%PDF-1.4\n% " + forumtest.Unique("document ") + "\n%%EOF\n")
	if w := upload(t, s, member, "notes.pdf", pdf); w.Code != 400 {
		t.Fatalf("a PDF when none is allowed: %d %s", w.Code, w.Body)
	}
	setting := func(body string) {
		t.Helper()
		if w := s.do(t, request{method: "PATCH", path: "/api/v1/settings", body: body, header: admin}); w.Code != 200 {
			t.Fatalf("settings %s: %d %s", body, w.Code, w.Body)
		}
	}
	if w := s.do(t, request{method: "PATCH", path: "/api/v1/settings", body: `{"attachment_extensions": ["pdf", "svg"]}`, header: admin}); w.Code != 400 {
		t.Fatalf("allowing SVG: %d %s", w.Code, w.Body)
	}
	setting(`{"attachment_extensions": ["pdf", ".TXT"]}`)
	t.Cleanup(func() { setting(`{"attachment_extensions": []}`) })

	w := upload(t, s, member, "notes de réunion.pdf", pdf)
	if w.Code != 201 {
		t.Fatalf("allowed PDF: %d %s", w.Code, w.Body)
	}
	u := decodeUpload(t, w)
	if u.Width != 0 || !strings.HasSuffix(u.URL, ".pdf") || !strings.HasPrefix(u.Markdown, "[notes de réunion.pdf](") {
		t.Fatalf("answer %+v", u)
	}
	w = s.do(t, request{path: u.URL, header: member})
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), pdf) {
		t.Fatalf("download: %d", w.Code)
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if w.Header().Get("Content-Type") != "application/pdf" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", w.Header())
	}
	// HTML stays refused, whatever it is called.
	if w := upload(t, s, member, "page.txt", []byte("<!doctype html><script>alert(1)</script>")); w.Code != 400 {
		t.Fatalf("HTML as text: %d %s", w.Code, w.Body)
	}
}

// TestHeldPostImagesAreNotPublicUntilApproved: a post held by a rule shows
// its image to its author and staff only; once approved, to everyone.
func TestHeldPostImagesAreNotPublicUntilApproved(t *testing.T) {
	for _, store := range uploadStores {
		t.Run(store.name, func(t *testing.T) {
			s, db := store.start(t)
			testHeldPostImagesAreNotPublicUntilApproved(t, s, db)
		})
	}
}

func testHeldPostImagesAreNotPublicUntilApproved(t *testing.T, s *Server, db *forum.DB) {
	adminM := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	admin := bearer(t, db, adminM)
	authorM := forumtest.MustMember(t, db, forum.RoleMember, 2)
	author := bearer(t, db, authorM)
	other := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2))
	word := forumtest.Unique("retenez")
	w := s.do(t, request{method: "POST", path: "/api/v1/rules", header: admin,
		body: `{"name": "` + forumtest.Unique("Retenue ") + `", "description": "Relu avant publication.", "kind": "words", "patterns": ["` + word + `"], "action": "hold"}`})
	if w.Code != 201 {
		t.Fatalf("rule: %d %s", w.Code, w.Body)
	}
	cat := forumtest.MustCategory(t, db)
	w = s.do(t, request{method: "POST", path: "/api/v1/threads", header: author,
		body: fmt.Sprintf(`{"category_id": %d, "title": "Mes photos de vacances", "body": "Voici quelques photos."}`, cat.ID)})
	if w.Code != 201 {
		t.Fatalf("thread: %d %s", w.Code, w.Body)
	}
	var created struct{ Thread struct{ ID int64 } }
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}

	u := decodeUpload(t, upload(t, s, author, "plage.png", testPNG(t)))
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", created.Thread.ID), header: author,
		body: `{"body": "` + word + ` : ` + u.Markdown + `"}`})
	if w.Code != http.StatusAccepted {
		t.Fatalf("held reply: %d %s", w.Code, w.Body)
	}
	var reply struct{ Post struct{ ID int64 } }
	if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil {
		t.Fatal(err)
	}

	status := func(auth map[string]string) int { return s.do(t, request{path: u.URL, header: auth}).Code }
	if a, o, own, staff := status(nil), status(other), status(author), status(admin); a != 404 || o != 404 || own != 200 || staff != 200 {
		t.Fatalf("held: anonymous %d, other %d, author %d, staff %d", a, o, own, staff)
	}
	var item int64
	if err := db.GetContext(context.Background(), &item, `SELECT id FROM review_items WHERE post_id = $1 AND status = 'pending'`, reply.Post.ID); err != nil {
		t.Fatal(err)
	}
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/review/%d/resolve", item), header: admin, body: `{"action": "approve"}`})
	if w.Code != 200 {
		t.Fatalf("approve: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: u.URL})
	if w.Code != 200 || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("approved: %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
}

func TestAvatarThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0) // no trust level needed
	auth := bearer(t, db, m)
	body, ct := multipartFile(t, "moi.png", testPNG(t))
	w := s.do(t, request{method: "PUT", path: "/api/v1/me/avatar", body: body, header: withHeaders(auth, "Content-Type", ct)})
	if w.Code != 200 {
		t.Fatalf("avatar: %d %s", w.Code, w.Body)
	}
	var got struct {
		Member struct{ Username string }
		Avatar map[string]string
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Member.Username != m.Username || len(got.Avatar) != 3 {
		t.Fatalf("answer %s", w.Body)
	}
	for size, url := range got.Avatar {
		w := s.do(t, request{path: url}) // an avatar is public
		if w.Code != 200 {
			t.Fatalf("avatar %s: %d", size, w.Code)
		}
		img, err := png.Decode(w.Body)
		if err != nil || fmt.Sprint(img.Bounds().Dx()) != size || img.Bounds().Dx() != img.Bounds().Dy() {
			t.Fatalf("avatar %s: %v %v", size, img.Bounds(), err)
		}
	}
	w = s.do(t, request{method: "DELETE", path: "/api/v1/me/avatar", header: auth})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"avatar":null`) {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if a, err := db.MemberAvatar(context.Background(), m.ID); err != nil || a != nil {
		t.Fatalf("after delete: %v %v", a, err)
	}
	if w := s.do(t, request{method: "PUT", path: "/api/v1/me/avatar", body: `x`, header: auth}); w.Code != 400 {
		t.Fatalf("no file: %d %s", w.Code, w.Body)
	}
}

// TestUnreachableObjectStore: with the object store down, an upload is
// answered 503 with a message and stores nothing; a file is answered 503,
// not a broken 200.
func TestUnreachableObjectStore(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	auth := bearer(t, db, m)
	stored := decodeUpload(t, upload(t, newTestServer(t), auth, "avant.png", testPNG(t)))

	store, err := forum.NewS3BlobStore(context.Background(), forum.S3Config{Endpoint: "http://127.0.0.1:1",
		Bucket: "palabre-uploads", AccessKeyID: "palabre", SecretAccessKey: "secret-de-test", Region: "us-east-1", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	down := forumtest.Instance(t)
	down.SetBlobStore(store)
	s := newServerOver(t, down)
	w := upload(t, s, auth, "photo.png", testPNG(t))
	if w.Code != http.StatusServiceUnavailable || decodeError(t, w).Code != forum.EUNAVAILABLE || !strings.Contains(w.Body.String(), "nothing was saved") &&
		!strings.Contains(w.Body.String(), "rien n’a été enregistré") {
		t.Fatalf("upload with the store down: %d %s", w.Code, w.Body)
	}
	var rows int
	if err := db.GetContext(context.Background(), &rows, `SELECT count(*) FROM upload_owners WHERE member_id = $1`, m.ID); err != nil || rows != 1 {
		t.Fatalf("uploads of the member: %d %v, want only the first", rows, err)
	}
	// A file: the store is asked first, and does not answer.
	if w := s.do(t, request{path: stored.URL, header: auth}); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("a file with the store down: %d", w.Code)
	}
}

// TestAFileGoingOutIsNotCutAtTheDeadline: PALABRE_REQUEST_TIMEOUT bounds
// the work before a file's answer, not its sending to a slow client, while
// the file is read from the object store as it goes out.
func TestAFileGoingOutIsNotCutAtTheDeadline(t *testing.T) {
	db, _ := forumtest.WithS3(t)
	cfg, err := LoadConfig(envOf(map[string]string{"PALABRE_REQUEST_TIMEOUT": "100ms", "PALABRE_PAGE_CACHE": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	// Noise: a PNG of several hundred kilobytes, read in many pieces.
	img := image.NewRGBA(image.Rect(0, 0, 300, 300))
	if _, err := rand.Read(img.Pix); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	u, err := db.StoreUpload(forumtest.As(m), buf.Bytes(), "bruit.png")
	if err != nil {
		t.Fatal(err)
	}
	want, err := db.UploadData(context.Background(), u)
	if err != nil || len(want) < 200_000 {
		t.Fatalf("the stored file: %d bytes, %v", len(want), err)
	}
	client := newStalledClient()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := httptest.NewRequest(http.MethodGet, u.URL(), nil)
		for k, v := range bearer(t, db, m) {
			r.Header.Set(k, v)
		}
		s.engine.ServeHTTP(client, r)
	}()
	client.firstWrite(t)
	// Past the deadline while the client reads nothing (not a
	// synchronisation: with a cut, the answer is short whatever the wait).
	time.Sleep(3 * cfg.RequestTimeout)
	close(client.release)
	<-done
	if !bytes.Equal(client.got.Bytes(), want) {
		t.Fatalf("the file as the client got it: %d bytes of %d", client.got.Len(), len(want))
	}
}
