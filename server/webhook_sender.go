package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/palabre/palabre/forum"
)

// WebhookSender delivers webhook events, one job (forum.JobWebhookDelivery)
// per delivery: a POST of
//
//	{"id": <delivery>, "event": "post.published", "created_at": "…", "data": {…}}
//
// with the headers X-Palabre-Event, X-Palabre-Delivery and
// X-Palabre-Signature: t=<unix time>,sha256=<hex of HMAC-SHA256(secret, t + "." + body)>.
// A 2xx answer within the timeout delivers it; anything else is retried by
// the job queue with its backoff (30 s, 1 min, 2 min… 8 attempts), then the
// delivery is marked failed. Redirects are not followed, and the connection
// is refused to loopback and private addresses unless
// PALABRE_WEBHOOKS_ALLOW_PRIVATE, whatever DNS answers at that moment.
type WebhookSender struct {
	db     *forum.DB
	log    *slog.Logger
	client *http.Client
	now    func() time.Time
}

// webhookTimeout bounds one attempt, connection included.
const webhookTimeout = 10 * time.Second

// NewWebhookSender builds the sender for cfg.
func NewWebhookSender(cfg Config, db *forum.DB, log *slog.Logger) *WebhookSender {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !cfg.WebhooksAllowPrivate {
		dialer.Control = refusePrivateAddresses
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		Proxy:                 nil, // a proxy would hide the address from the check
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: webhookTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &WebhookSender{db: db, log: log, now: time.Now, client: &http.Client{
		Transport:     transport,
		Timeout:       webhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// errPrivateAddress: the connection was refused by refusePrivateAddresses.
var errPrivateAddress = errors.New("refused: a loopback or private address (PALABRE_WEBHOOKS_ALLOW_PRIVATE=1 allows it)")

// refusePrivateAddresses is the dialer's check of the address it is about
// to connect to, after DNS: what CheckWebhookTarget checked when the
// webhook was registered may resolve elsewhere now.
func refusePrivateAddresses(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !forum.PublicAddress(a) {
		return errPrivateAddress
	}
	return nil
}

// Signature is the X-Palabre-Signature of body sent at t with secret.
func Signature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Deliver is the forum.JobHandler of forum.JobWebhookDelivery.
func (w *WebhookSender) Deliver(ctx context.Context, j *forum.Job) error {
	var p struct {
		DeliveryID int64 `json:"delivery_id"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("webhook job %d: %w", j.ID, err)
	}
	d, err := w.db.WebhookToSend(ctx, p.DeliveryID)
	if err != nil || d == nil {
		return err // nil: deleted with its webhook, or already done
	}
	final := j.Attempts >= j.MaxAttempts
	if !d.Active {
		// Turned off: it records no new event, and what was waiting
		// is not sent (it can be redelivered once turned on).
		return w.record(ctx, d, forum.WebhookAttempt{Err: "the webhook was turned off", Final: true})
	}
	body, err := json.Marshal(struct {
		ID        int64           `json:"id"`
		Event     string          `json:"event"`
		CreatedAt time.Time       `json:"created_at"`
		Data      json.RawMessage `json:"data"`
	}{d.ID, d.Event, d.CreatedAt.UTC(), d.Payload})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return w.record(ctx, d, forum.WebhookAttempt{Err: err.Error(), Final: true})
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Palabre-Webhooks/1")
	req.Header.Set("X-Palabre-Event", d.Event)
	req.Header.Set("X-Palabre-Delivery", strconv.FormatInt(d.ID, 10))
	req.Header.Set("X-Palabre-Signature", Signature(d.Secret, w.now(), body))

	start := time.Now()
	resp, err := w.client.Do(req)
	a := forum.WebhookAttempt{Final: final}
	if err != nil {
		a.Err = err.Error()
	} else {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		a.Status, a.Body = resp.StatusCode, string(b)
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			a.Err = "answered " + resp.Status
		}
	}
	a.Duration = time.Since(start)
	return w.record(ctx, d, a)
}

// record writes the attempt and returns an error when the job must retry.
func (w *WebhookSender) record(ctx context.Context, d *forum.OutgoingWebhook, a forum.WebhookAttempt) error {
	if err := w.db.RecordWebhookAttempt(ctx, d.ID, a); err != nil {
		return err
	}
	if a.Err == "" {
		return nil
	}
	if a.Final {
		w.log.Warn("webhook delivery failed for good", "delivery", d.ID, "webhook", d.WebhookID, "event", d.Event, "error", a.Err)
		return nil
	}
	return fmt.Errorf("webhook delivery %d: %s", d.ID, a.Err)
}
