package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// TestReportingAnUploadAlone: a member reports one image of a post, through
// the API or the post's report form; moderators see the image in the
// item, and removing it leaves the post and stops serving the file (to
// all but staff), logged; the same content is refused afterwards.
func TestReportingAnUploadAlone(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	authorM := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	author := bearer(t, db, authorM)
	reporter := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	other := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	mod := bearer(t, db, forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader))
	image := testPNG(t)
	u := decodeUpload(t, upload(t, s, author, "choquant.png", image))
	cat := forumtest.MustCategory(t, db)
	out, err := s.pipeline.SubmitThread(forumtest.As(authorM), moderation.ThreadSubmission{CategoryID: cat.ID,
		Title: forumtest.Unique("Photos "), Body: "Regardez : " + u.Markdown})
	if err != nil {
		t.Fatal(err)
	}
	post := out.Post
	reportPath := fmt.Sprintf("/api/v1/uploads/%d/reports", u.ID)

	if w := s.do(t, request{method: "POST", path: reportPath, body: `{"reason": "inappropriate"}`, header: author}); w.Code != http.StatusForbidden {
		t.Fatalf("reporting one's own image: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "POST", path: "/api/v1/uploads/999999999/reports", body: `{"reason": "spam"}`, header: reporter}); w.Code != http.StatusNotFound {
		t.Fatalf("an unknown upload: %d %s", w.Code, w.Body)
	}
	w := s.do(t, request{method: "POST", path: reportPath, body: `{"reason": "other", "note": "Image choquante"}`, header: reporter})
	if w.Code != http.StatusCreated {
		t.Fatalf("report: %d %s", w.Code, w.Body)
	}
	var got struct {
		Report moderation.Report `json:"report"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Report.UploadID == nil || *got.Report.UploadID != u.ID || got.Report.PostID == nil || *got.Report.PostID != post.ID {
		t.Fatalf("report answer: %s", w.Body)
	}
	item := got.Report.ReviewItemID
	// One open report per reporter and upload; the post itself may still
	// be reported by the same member.
	if w := s.do(t, request{method: "POST", path: reportPath, body: `{"reason": "spam"}`, header: reporter}); w.Code != http.StatusConflict {
		t.Fatalf("a second report of the image: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/posts/%d/reports", post.ID), body: `{"reason": "spam"}`, header: reporter}); w.Code != http.StatusCreated {
		t.Fatalf("a report of the post beside: %d %s", w.Code, w.Body)
	}

	// The post's report form offers its image; chosen, it is reported alone.
	formPath := fmt.Sprintf("/p/%d/report", post.ID)
	w = s.do(t, request{path: formPath + fmt.Sprintf("?upload=%d", u.ID), header: en(other)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), fmt.Sprintf(`name="upload_id" value="%d" checked`, u.ID)) ||
		!strings.Contains(w.Body.String(), "Only this file: choquant.png") {
		t.Fatalf("report form: %d %s", w.Code, w.Body)
	}
	form := url.Values{"reason": {"inappropriate"}, "upload_id": {fmt.Sprint(u.ID)}}
	if w := s.do(t, request{method: "POST", path: formPath, body: form.Encode(), header: withHeaders(en(other), "Content-Type", "application/x-www-form-urlencoded")}); w.Code != 200 || !strings.Contains(w.Body.String(), "Thank you") {
		t.Fatalf("the form's report: %d %s", w.Code, w.Body)
	}
	var uploadReports int
	if err := db.GetContext(context.Background(), &uploadReports, `SELECT count(*) FROM reports WHERE upload_id = $1 AND review_item_id = $2`, u.ID, item); err != nil || uploadReports != 2 {
		t.Fatalf("reports of the image in the item: %d %v", uploadReports, err)
	}

	// Moderators see the image in the item, and may remove it alone.
	w = s.do(t, request{path: fmt.Sprintf("/mod/queue/%d", item), header: en(mod)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<img class="review-upload" src="`+u.URL+`"`) ||
		!strings.Contains(w.Body.String(), `value="remove_upload"`) {
		t.Fatalf("item page: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/review/%d/resolve", item), header: mod, body: `{"action": "remove_upload"}`})
	if w.Code != 200 {
		t.Fatalf("remove_upload: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: u.URL}); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "removed by a moderator") &&
		!strings.Contains(w.Body.String(), "retiré par un modérateur") {
		t.Fatalf("the removed image, anonymous: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: u.URL, header: author}); w.Code != http.StatusNotFound {
		t.Fatalf("the removed image, its uploader: %d", w.Code)
	}
	if w := s.do(t, request{path: u.URL, header: mod}); w.Code != 200 {
		t.Fatalf("the removed image, staff: %d", w.Code)
	}
	var status string
	if err := db.GetContext(context.Background(), &status, `SELECT status FROM posts WHERE id = $1`, post.ID); err != nil || status != forum.StatusPublished {
		t.Fatalf("the post after its image's removal: %q %v", status, err)
	}
	var logged int
	if err := db.GetContext(context.Background(), &logged, `SELECT count(*) FROM mod_log WHERE action = 'upload.remove' AND target_type = 'upload' AND target_id = $1`, u.ID); err != nil || logged != 1 {
		t.Fatalf("log lines of the removal: %d %v", logged, err)
	}
	if w := upload(t, s, other, "encore.png", image); w.Code != http.StatusBadRequest || decodeError(t, w).Code != forum.EINVALID {
		t.Fatalf("the removed content uploaded again: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/mod/log", header: en(mod)})
	if !strings.Contains(w.Body.String(), fmt.Sprintf("removed file no. %d", u.ID)) {
		t.Errorf("the log page does not say the removal")
	}
}
