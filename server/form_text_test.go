package server

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
)

// Every form posted to a page with invalid UTF-8 or a NUL in a field (its
// value or its name, urlencoded or multipart) is refused with the same 400
// page, whatever the route and before its handler reads anything (issue 19:
// handlers met such text each its own way).
func TestEveryFormRouteRefusesInvalidText(t *testing.T) {
	s := newTestServer(t)
	admin, _ := loggedIn(t, s, forum.RoleAdmin, 4)
	messages := []string{}
	for _, lang := range []string{"en", "fr"} {
		messages = append(messages, html.EscapeString(s.catalog.Lang(lang).Msg("error.form_invalid_text", nil)))
	}
	multipartBody := func(field, value string) (string, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		// Into memory: cannot fail.
		_ = w.WriteField("title", "Bonjour")
		_ = w.WriteField(field, value)
		_ = w.Close()
		return buf.String(), w.FormDataContentType()
	}
	routes := 0
	for _, r := range s.engine.Routes() {
		if r.Method != http.MethodPost || strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		routes++
		path := r.Path
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
				path = strings.Replace(path, seg, "1", 1)
			}
		}
		mp, mpType := multipartBody("body", "caf\xe9")
		for _, c := range []struct {
			name, ctype, body string
		}{
			{"invalid UTF-8 in a value", "application/x-www-form-urlencoded", url.Values{"title": {"Bonjour"}, "body": {"caf\xe9 cr\xe8me"}}.Encode()},
			{"NUL in a value", "application/x-www-form-urlencoded", url.Values{"body": {"Bonjour\x00 à tous"}}.Encode()},
			{"invalid UTF-8 in a name", "application/x-www-form-urlencoded", url.Values{"b\xffdy": {"Bonjour"}}.Encode()},
			{"invalid UTF-8 in a multipart value", mpType, mp},
		} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			req.Header.Set("Accept-Language", "en")
			req.RemoteAddr = admin.addr + ":40000"
			for _, ck := range admin.cookies {
				req.AddCookie(ck)
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			body := w.Body.String()
			if w.Code != http.StatusBadRequest || !strings.Contains(body, messages[0]) && !strings.Contains(body, messages[1]) {
				t.Errorf("POST %s (%s), %s: %d, want 400 with the catalogue's message; %.300s", path, r.Path, c.name, w.Code, body)
			}
		}
	}
	if routes < 20 {
		t.Fatalf("only %d form routes found", routes)
	}
	// Valid text still goes through (the log-in form answers as usual).
	if w := newBrowser(s).do(t, http.MethodPost, "/login", url.Values{"login": {"personne_é"}, "password": {"café crème"}}, nil); w.Code == http.StatusBadRequest {
		t.Errorf("a valid form refused: %d", w.Code)
	}
}
