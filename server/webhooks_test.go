package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// receiver is a local endpoint that records what it is sent and answers
// the status it is told.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []receivedHook
	status atomic.Int32
}

type receivedHook struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusOK)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, receivedHook{req.Header.Clone(), body})
		r.mu.Unlock()
		if code := int(r.status.Load()); code == http.StatusFound {
			http.Redirect(w, req, "/elsewhere", code)
		} else {
			w.WriteHeader(code)
			fmt.Fprintf(w, "answered %d", code)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []receivedHook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedHook(nil), r.got...)
}

// verifySignature checks X-Palabre-Signature as a receiver would.
func verifySignature(t *testing.T, h receivedHook, secret string) {
	t.Helper()
	sig := h.header.Get("X-Palabre-Signature")
	ts, mac, ok := strings.Cut(sig, ",sha256=")
	ts, tsOK := strings.CutPrefix(ts, "t=")
	if !ok || !tsOK {
		t.Fatalf("signature header %q", sig)
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(n, 0)).Abs() > time.Hour {
		t.Errorf("signature time %q", ts)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(h.body)
	if want := hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(want), []byte(mac)) {
		t.Errorf("signature %s does not verify (want %s)", mac, want)
	}
}

// runDeliveries runs the due webhook jobs as the jobs runner does, after
// making the retries waiting for their backoff due.
func runDeliveries(t *testing.T, db *forum.DB, sender *WebhookSender) {
	t.Helper()
	if _, err := db.SQL().Exec(`UPDATE jobs SET run_at = now() WHERE kind = $1 AND done_at IS NULL AND failed_at IS NULL`, forum.JobWebhookDelivery); err != nil {
		t.Fatal(err)
	}
	r := &forum.JobRunner{DB: db, Handlers: map[string]forum.JobHandler{forum.JobWebhookDelivery: sender.Deliver}}
	if _, err := r.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWebhooksThroughTheAPI(t *testing.T) {
	db := forumtest.DB(t)
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{"PALABRE_PAGE_CACHE": "off", "PALABRE_WEBHOOKS_ALLOW_PRIVATE": "1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(cfg, db, log)
	if err != nil {
		t.Fatal(err)
	}
	sender := NewWebhookSender(cfg, db, log)
	cat := forumtest.MustCategory(t, db)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	member := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hm := bearer(t, db, admin), bearer(t, db, member)
	recv := newReceiver(t)
	const secret = "secret-partage-0123456789"

	if w := s.do(t, request{method: "POST", path: "/api/v1/webhooks", header: hm,
		body: `{"url": "` + recv.URL + `", "events": ["post.published"]}`}); w.Code != http.StatusForbidden {
		t.Errorf("a member registers a webhook: %d", w.Code)
	}
	w := s.do(t, request{method: "POST", path: "/api/v1/webhooks", header: ha, body: `{"url": "gopher://x", "events": ["post.liked"], "secret": "x"}`})
	if w.Code != http.StatusBadRequest {
		t.Errorf("a bad webhook: %d %s", w.Code, w.Body)
	}
	var bad struct {
		Error struct{ Fields []struct{ Field string } }
	}
	_ = json.Unmarshal(w.Body.Bytes(), &bad)
	if fmt.Sprint(bad.Error.Fields) != "[{url} {events} {secret}]" {
		t.Errorf("a bad webhook names %v, want url, events and secret at once", bad.Error.Fields)
	}
	w = s.do(t, request{method: "POST", path: "/api/v1/webhooks", header: ha,
		body: `{"url": "` + recv.URL + `/hook", "events": ["post.published", "report.filed"], "secret": "` + secret + `"}`})
	if w.Code != http.StatusCreated {
		t.Fatalf("registering: %d %s", w.Code, w.Body)
	}
	hook := decode[struct{ Webhook forum.Webhook }](t, w.Body.Bytes()).Webhook
	t.Cleanup(func() { _ = db.DeleteWebhook(forum.WithSystem(context.Background()), hook.ID) })
	if hook.Secret != secret {
		t.Errorf("the answer's secret: %q", hook.Secret)
	}
	if w := s.do(t, request{path: "/api/v1/webhooks", header: ha}); w.Code != http.StatusOK || strings.Contains(w.Body.String(), secret) {
		t.Errorf("the list: %d, shows the secret: %v", w.Code, strings.Contains(w.Body.String(), secret))
	}

	// An event, delivered signed.
	th := startThread(t, s, hm, cat, "Un sujet qui part en webhook")
	runDeliveries(t, db, sender)
	got := recv.received()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	h := got[0]
	verifySignature(t, h, secret)
	var body struct {
		ID    int64
		Event string
		Data  struct {
			Thread struct{ ID int64 }
			Post   struct{ Author, URL string }
		}
	}
	if err := json.Unmarshal(h.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Event != "post.published" || h.header.Get("X-Palabre-Event") != "post.published" || h.header.Get("X-Palabre-Delivery") != strconv.FormatInt(body.ID, 10) ||
		body.Data.Thread.ID != th.Thread.ID || body.Data.Post.Author != member.Username || body.Data.Post.URL != fmt.Sprintf("/p/%d", th.Post.ID) {
		t.Errorf("delivered %s with headers %v", h.body, h.header)
	}

	// A receiver that fails is tried again, until it answers.
	recv.status.Store(http.StatusServiceUnavailable)
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID), header: hm, body: `{"body": "Une réponse qui attendra le récepteur."}`})
	if w.Code != http.StatusCreated {
		t.Fatalf("replying: %d %s", w.Code, w.Body)
	}
	runDeliveries(t, db, sender)
	deliveries := func() []forum.WebhookDelivery {
		t.Helper()
		w := s.do(t, request{path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook.ID), header: ha})
		if w.Code != http.StatusOK {
			t.Fatalf("deliveries: %d %s", w.Code, w.Body)
		}
		return decode[struct{ Deliveries []forum.WebhookDelivery }](t, w.Body.Bytes()).Deliveries
	}
	d := deliveries()
	if len(d) != 2 || d[0].Status != "pending" || d[0].Attempts != 1 || d[0].ResponseStatus == nil || *d[0].ResponseStatus != 503 ||
		d[0].Error == "" || d[1].Status != "delivered" {
		t.Fatalf("after a failure: %+v", d)
	}
	recv.status.Store(http.StatusFound) // a redirect is not followed
	runDeliveries(t, db, sender)
	if d := deliveries(); d[0].Status != "pending" || d[0].Attempts != 2 || *d[0].ResponseStatus != http.StatusFound {
		t.Errorf("after a redirect: %+v", d[0])
	}
	recv.status.Store(http.StatusNoContent)
	runDeliveries(t, db, sender)
	d = deliveries()
	if d[0].Status != "delivered" || d[0].Attempts != 3 || d[0].DeliveredAt == nil {
		t.Errorf("after the receiver came back: %+v", d[0])
	}
	if n := len(recv.received()); n != 4 {
		t.Errorf("the receiver got %d requests, want 4 (one, then three tries of the second)", n)
	}

	// Redelivery: the same payload again, as a new delivery.
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/redeliver", hook.ID, d[1].ID), header: ha})
	if w.Code != http.StatusCreated {
		t.Fatalf("redelivering: %d %s", w.Code, w.Body)
	}
	runDeliveries(t, db, sender)
	got = recv.received()
	last := got[len(got)-1]
	verifySignature(t, last, secret)
	var again struct {
		ID   int64
		Data json.RawMessage
	}
	_ = json.Unmarshal(last.body, &again)
	var firstBody struct{ Data json.RawMessage }
	_ = json.Unmarshal(got[0].body, &firstBody)
	if again.ID == d[1].ID || string(again.Data) != string(firstBody.Data) {
		t.Errorf("the redelivery: id %d (first %d), same data %v", again.ID, d[1].ID, string(again.Data) == string(firstBody.Data))
	}
	if d := deliveries(); d[0].RedeliveryOf == nil || *d[0].RedeliveryOf != d[2].ID || d[0].Status != "delivered" {
		t.Errorf("the redelivery in the log: %+v", d[0])
	}
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries/999999999/redeliver", hook.ID), header: ha}); w.Code != http.StatusNotFound {
		t.Errorf("redelivering nothing: %d", w.Code)
	}

	// Turned off, it records nothing; deleted, it is gone with its log.
	if w := s.do(t, request{method: "PATCH", path: fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), header: ha, body: `{"active": false}`}); w.Code != http.StatusOK {
		t.Fatalf("turning off: %d %s", w.Code, w.Body)
	}
	startThread(t, s, hm, cat, "Un sujet que personne n’entend")
	if n := len(deliveries()); n != 3 {
		t.Errorf("a webhook turned off recorded an event: %d deliveries", n)
	}
	if w := s.do(t, request{method: "DELETE", path: fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), header: ha}); w.Code != http.StatusNoContent {
		t.Errorf("deleting: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook.ID), header: ha}); w.Code != http.StatusNotFound {
		t.Errorf("the log of a deleted webhook: %d", w.Code)
	}
}

// Without PALABRE_WEBHOOKS_ALLOW_PRIVATE the sender does not connect to a
// private address, whatever was registered, and the log says why; the last
// attempt marks the delivery failed.
func TestWebhookSenderRefusesPrivateAddresses(t *testing.T) {
	db := forumtest.DB(t)
	ctx := forum.WithSystem(context.Background())
	recv := newReceiver(t)
	hook, err := db.CreateWebhook(ctx, forum.WebhookInput{URL: &recv.URL, Events: &[]string{forum.EventMemberSignedUp}}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.DeleteWebhook(ctx, hook.ID) })
	forumtest.MustMember(t, db, forum.RoleMember, 0)
	cfg, _ := LoadConfig(func(string) string { return "" })
	sender := NewWebhookSender(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := db.SQL().Exec(`UPDATE jobs SET max_attempts = 2 WHERE kind = $1 AND done_at IS NULL`, forum.JobWebhookDelivery); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		runDeliveries(t, db, sender)
	}
	list, _, err := db.WebhookDeliveries(ctx, hook.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recv.received()) != 0 {
		t.Error("the sender connected to a loopback address")
	}
	if len(list) != 1 || list[0].Status != "failed" || list[0].Attempts != 2 || !strings.Contains(list[0].Error, "private address") {
		t.Errorf("the delivery: %+v", list)
	}
}
