package server

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// multipartForm is a multipart body with fields and, when name is not "",
// a file in the field "file", and its Content-Type.
func multipartForm(t testing.TB, fields map[string]string, name string, data []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
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

// TestPostFormsTakeAFileWithoutJavaScript: the new thread, reply and edit
// forms are multipart with a file input; a chosen file is stored with the
// post and its Markdown added at the end of the text; a refused one comes
// back on the form, with everything typed.
func TestPostFormsTakeAFileWithoutJavaScript(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	if v, _ := db.RequiredGuidelinesVersion(forumtest.As(m)); v > 0 {
		if err := db.AcceptGuidelines(forumtest.As(m), v); err != nil {
			t.Fatal(err)
		}
	}
	auth := withHeaders(bearer(t, db, m), "Accept-Language", "en")
	post := func(path string, fields map[string]string, name string, data []byte) (int, string, string) {
		t.Helper()
		body, ct := multipartForm(t, fields, name, data)
		w := s.do(t, request{method: "POST", path: path, body: body, header: withHeaders(auth, "Content-Type", ct)})
		return w.Code, w.Header().Get("Location"), w.Body.String()
	}
	hasFileInput := func(page string) bool {
		return strings.Contains(page, `enctype="multipart/form-data"`) && strings.Contains(page, `type="file" name="file"`)
	}
	if w := s.do(t, request{path: "/new", header: auth}); !hasFileInput(w.Body.String()) {
		t.Fatalf("new thread form: %s", w.Body)
	}

	// A new thread with a picture.
	code, loc, page := post("/new", map[string]string{"category_id": fmt.Sprint(cat.ID), "title": "Mes vacances à la mer",
		"body": "Voici la plage."}, "plage.png", testPNG(t))
	if code != http.StatusSeeOther {
		t.Fatalf("new thread: %d %s", code, page)
	}
	threadURL := strings.Split(loc, "#")[0]
	w := s.do(t, request{path: threadURL, header: auth})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<img src="/uploads/`) || !hasFileInput(w.Body.String()) {
		t.Fatalf("thread page %s: %d %s", threadURL, w.Code, w.Body)
	}
	var id int64
	if _, err := fmt.Sscanf(threadURL, "/t/%d/", &id); err != nil {
		t.Fatal(err)
	}
	markdown := func() []string {
		t.Helper()
		page, err := db.ThreadPosts(forumtest.As(m), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range page.Posts {
			full, _, err := db.PostByID(forumtest.As(m), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full.BodyMarkdown)
		}
		return out
	}
	page0, err := db.ThreadPosts(forumtest.As(m), id, 0)
	if err != nil || len(page0.Posts) != 1 {
		t.Fatalf("posts: %v %v", page0, err)
	}
	first := page0.Posts[0]
	if !strings.HasPrefix(markdown()[0], "Voici la plage.\n\n![plage](/uploads/") {
		t.Fatalf("body %q", markdown()[0])
	}

	// A refused file: the reply form comes back with the error and the text.
	typed := "Une réponse que je ne veux pas retaper."
	code, _, page = post(fmt.Sprintf("/t/%d/reply", id), map[string]string{"body": typed}, "page.png", []byte("<html><script>alert(1)</script></html>"))
	if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity && code != http.StatusUnsupportedMediaType {
		t.Fatalf("refused file: %d %s", code, page)
	}
	if !strings.Contains(page, `id="e-file"`) || !strings.Contains(page, typed[:20]) || !strings.Contains(page, `aria-invalid="true" aria-describedby="e-file"`) {
		t.Fatalf("refused file, the form: %s", page)
	}
	// A reply with a picture, and one without a file.
	if code, _, page = post(fmt.Sprintf("/t/%d/reply", id), map[string]string{"body": typed}, "vague.png", testPNG(t)); code != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", code, page)
	}
	if code, _, page = post(fmt.Sprintf("/t/%d/reply", id), map[string]string{"body": "Sans fichier."}, "", nil); code != http.StatusSeeOther {
		t.Fatalf("reply without a file: %d %s", code, page)
	}
	bodies := markdown()
	if len(bodies) != 3 {
		t.Fatalf("posts: %q", bodies)
	}
	if b := bodies[1]; !strings.HasPrefix(b, typed+"\n\n![vague](/uploads/") {
		t.Fatalf("reply body %q", b)
	}
	if b := bodies[2]; b != "Sans fichier." {
		t.Fatalf("reply without a file %q", b)
	}

	// An edit adds a picture at the end.
	edit := fmt.Sprintf("/p/%d/edit", first.ID)
	if w := s.do(t, request{path: edit, header: auth}); !hasFileInput(w.Body.String()) {
		t.Fatalf("edit form: %s", w.Body)
	}
	if code, _, page = post(edit, map[string]string{"title": "Mes vacances à la mer", "body": "Voici la plage, et le port."}, "port.png", testPNG(t)); code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", code, page)
	}
	p, _, err := db.PostByID(forumtest.As(m), first.ID)
	if err != nil || !strings.HasPrefix(p.BodyMarkdown, "Voici la plage, et le port.\n\n![port](/uploads/") {
		t.Fatalf("edited body %q %v", p.BodyMarkdown, err)
	}
}
