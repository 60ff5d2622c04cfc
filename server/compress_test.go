package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum/forumtest"
)

// gunzip decodes a gzipped answer once.
func gunzip(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return string(b)
}

// An answer is compressed from its size, not from the size of its first
// write; it keeps its status, and says that it varies with Accept-Encoding.
func TestAnswersWrittenInPiecesAreCompressed(t *testing.T) {
	s := newTestServer(t)
	gz := map[string]string{"Accept-Encoding": "gzip"}
	w := s.do(t, request{path: "/test-chunks", header: gz})
	if w.Code != 202 || w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("chunks: %d %v", w.Code, w.Header())
	}
	if body := gunzip(t, w); strings.Count(body, "\n") != 100 || !strings.HasPrefix(body, "line 000 ") {
		t.Errorf("decoded answer: %q", body)
	}
	if w := s.do(t, request{path: "/test-chunks"}); w.Code != 202 || w.Header().Get("Content-Encoding") != "" || strings.Count(w.Body.String(), "\n") != 100 {
		t.Errorf("without gzip: %d %v", w.Code, w.Header())
	}
}

// A status set without a body keeps its status through the compression
// (a redirect answering a POST, as after logging in).
func TestABodilessStatusSurvivesCompression(t *testing.T) {
	s := newTestServer(t)
	w := s.do(t, request{path: "/test-see-other", header: map[string]string{"Accept-Encoding": "gzip"}})
	if w.Code != 303 || w.Header().Get("Location") != "/" || w.Header().Get("Content-Encoding") != "" {
		t.Errorf("redirect: %d %v", w.Code, w.Header())
	}
}

// What is already compressed, or has no body, is left alone.
func TestCompressionLeavesAssetsAndHeadAlone(t *testing.T) {
	s := newTestServer(t)
	gz := map[string]string{"Accept-Encoding": "gzip"}
	url, err := s.assets.URL("css/palabre.css")
	if err != nil {
		t.Fatal(err)
	}
	w := s.do(t, request{path: url, header: gz})
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("asset: %v", w.Header())
	}
	if css := gunzip(t, w); !strings.Contains(css, "{") { // gzipped once, not twice
		t.Errorf("the asset does not decode to CSS: %.40q", css)
	}
	for i := 0; i < 3; i++ {
		forumtest.MustCategory(t, forumtest.DB(t)) // a home page over the threshold
	}
	if w := s.do(t, request{method: "HEAD", path: "/", header: gz}); w.Header().Get("Content-Encoding") != "" {
		t.Errorf("HEAD: %v", w.Header())
	}
}

// The page cache's pages carry one ETag, compressed or not, and are
// compressed once, whether rendered (the middleware) or from memory.
func TestCachedPagesAreCompressedOnce(t *testing.T) {
	newTestServer(t)
	db := forumtest.DB(t)
	for i := 0; i < 3; i++ {
		forumtest.MustCategory(t, db)
	}
	cfg, err := LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, db, testSrv.log)
	if err != nil {
		t.Fatal(err)
	}
	gz := map[string]string{"Accept-Encoding": "gzip"}
	rendered := s.do(t, request{path: "/?compress-test", header: gz})
	cached := s.do(t, request{path: "/?compress-test", header: gz})
	plain := s.do(t, request{path: "/?compress-test"})
	etag := rendered.Header().Get("ETag")
	for name, w := range map[string]*httptest.ResponseRecorder{"rendered": rendered, "cached": cached, "plain": plain} {
		if w.Code != 200 || w.Header().Get("ETag") != etag || etag == "" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: %d %v (ETag of the first: %q)", name, w.Code, w.Header(), etag)
		}
	}
	if a, b := gunzip(t, rendered), gunzip(t, cached); a != b || a != plain.Body.String() || !strings.Contains(a, "</html>") {
		t.Errorf("the rendered, cached and plain pages differ")
	}
}
