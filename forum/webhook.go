package forum

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Webhooks tell other systems what happens in the community: admins
// register a URL and the events it wants; migration 0049's triggers record
// each event, in the transaction that caused it, as a delivery per
// subscribed webhook, and the job JobWebhookDelivery sends it
// (server/webhook_sender.go), signed with the webhook's secret.

// The events a webhook may listen to.
const (
	EventPostPublished    = "post.published"
	EventPostHeld         = "post.held"
	EventReportFiled      = "report.filed"
	EventReviewResolved   = "review.resolved"
	EventMemberSanctioned = "member.sanctioned"
	EventMemberSignedUp   = "member.signed_up"
)

// WebhookEvents lists every event, in the order pages show them.
var WebhookEvents = []string{EventPostPublished, EventPostHeld, EventReportFiled, EventReviewResolved,
	EventMemberSanctioned, EventMemberSignedUp}

// JobWebhookDelivery sends one delivery; payload {"delivery_id"}.
const JobWebhookDelivery = "webhook.deliver"

// Webhook is a registered endpoint. Its secret is shown once, when it is
// created, never listed.
type Webhook struct {
	ID        int64          `db:"id" json:"id"`
	URL       string         `db:"url" json:"url"`
	Events    pq.StringArray `db:"events" json:"events"`
	Active    bool           `db:"active" json:"active"`
	CreatedAt time.Time      `db:"created_at" json:"created_at"`
	// The last delivery's status and time, for the list.
	LastStatus *string    `db:"last_status" json:"last_status"`
	LastAt     *time.Time `db:"last_at" json:"last_delivery_at"`
	Secret     string     `db:"-" json:"secret,omitempty"`
}

// WebhookInput creates or changes a webhook. On a change, nil fields stay
// as they are.
type WebhookInput struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	Secret *string   `json:"secret"`
	Active *bool     `json:"active"`
}

// WebhookDelivery is one sending of an event to a webhook, and what came of
// it.
type WebhookDelivery struct {
	ID             int64           `db:"id" json:"id"`
	WebhookID      int64           `db:"webhook_id" json:"webhook_id"`
	Event          string          `db:"event" json:"event"`
	Payload        json.RawMessage `db:"payload" json:"payload"`
	Status         string          `db:"status" json:"status"` // pending, delivered, failed
	Attempts       int             `db:"attempts" json:"attempts"`
	ResponseStatus *int            `db:"response_status" json:"response_status"`
	ResponseBody   string          `db:"response_body" json:"response_body"`
	Error          string          `db:"error" json:"error"`
	DurationMS     *int            `db:"duration_ms" json:"duration_ms"`
	RedeliveryOf   *int64          `db:"redelivery_of" json:"redelivery_of"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	LastAttemptAt  *time.Time      `db:"last_attempt_at" json:"last_attempt_at"`
	DeliveredAt    *time.Time      `db:"delivered_at" json:"delivered_at"`
}

// WebhookAttempt is what one attempt at a delivery gave.
type WebhookAttempt struct {
	Status   int    // the HTTP status, 0 when no answer came
	Body     string // the start of the answer
	Err      string // why it failed, "" when it did not
	Duration time.Duration
	Final    bool // the last attempt: a failure is final
}

// Limits of a webhook.
const (
	webhookURLMax       = 2000
	webhookSecretMin    = 16
	webhookSecretMax    = 200
	webhookResponseKept = 2000 // bytes of an answer kept in the log
)

const webhookColumns = `w.id, w.url, w.events, w.active, w.created_at,
	(SELECT d.status FROM webhook_deliveries d WHERE d.webhook_id = w.id ORDER BY d.id DESC LIMIT 1) AS last_status,
	(SELECT coalesce(d.last_attempt_at, d.created_at) FROM webhook_deliveries d WHERE d.webhook_id = w.id ORDER BY d.id DESC LIMIT 1) AS last_at`

const deliveryColumns = `id, webhook_id, event, payload, status, attempts, response_status, response_body, error,
	duration_ms, redelivery_of, created_at, last_attempt_at, delivered_at`

// CheckWebhookTarget refuses a URL that is not absolute http(s), or whose
// host is, or resolves to, a loopback, private, link-local or otherwise
// internal address, unless allowPrivate (PALABRE_WEBHOOKS_ALLOW_PRIVATE): a
// webhook must not let an admin's account reach the forum's own network.
// The sender checks the address again as it connects (DNS may change).
func CheckWebhookTarget(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
		return Errorf(EINVALID, "webhook.url_invalid", nil).OnField("url")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil || len(ips) == 0 {
			return Errorf(EINVALID, "webhook.url_unresolved", map[string]any{"Host": host}).OnField("url")
		}
		addrs = ips
	}
	for _, a := range addrs {
		if !PublicAddress(a) {
			return Errorf(EINVALID, "webhook.url_private", map[string]any{"Host": host}).OnField("url")
		}
	}
	return nil
}

// PublicAddress reports whether an address is on the public internet: not
// loopback, private (RFC 1918, fc00::/7), link-local, unspecified,
// multicast, shared (100.64.0.0/10) or documentation space.
func PublicAddress(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return false
	}
	for _, p := range nonPublicPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublicPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// checkWebhookEvents checks a list of events and returns it sorted, without
// duplicates.
func checkWebhookEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, Errorf(EINVALID, "webhook.events_empty", nil).OnField("events")
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			return nil, Errorf(EINVALID, "webhook.event_unknown", map[string]any{"Event": e, "Events": strings.Join(WebhookEvents, ", ")}).OnField("events")
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out, nil
}

// checkWebhookURL returns a webhook's address trimmed, when it is one
// Palabre may deliver to (CheckWebhookTarget).
func checkWebhookURL(ctx context.Context, raw string, allowPrivate bool) (string, error) {
	u := strings.TrimSpace(raw)
	if u == "" || len(u) > webhookURLMax {
		return "", Errorf(EINVALID, "webhook.url_invalid", nil).OnField("url")
	}
	return u, CheckWebhookTarget(ctx, u, allowPrivate)
}

// checkWebhookSecret: printable ASCII without spaces, of a length that
// makes the signature worth something.
func checkWebhookSecret(secret string) error {
	if n := len(secret); n < webhookSecretMin || n > webhookSecretMax || strings.ContainsFunc(secret, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return Errorf(EINVALID, "webhook.secret_invalid", map[string]any{"Min": webhookSecretMin, "Max": webhookSecretMax}).OnField("secret")
	}
	return nil
}

// CreateWebhook registers a webhook (admins only). Without a secret, one is
// generated; the answer holds it, the only time it is shown.
func (db *DB) CreateWebhook(ctx context.Context, in WebhookInput, allowPrivate bool) (*Webhook, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var raw string
	if in.URL != nil {
		raw = *in.URL
	}
	rawURL, err := checkWebhookURL(ctx, raw, allowPrivate)
	errs := []error{err}
	var events []string
	if in.Events == nil {
		errs = append(errs, Errorf(EINVALID, "webhook.events_empty", nil).OnField("events"))
	} else if events, err = checkWebhookEvents(*in.Events); err != nil {
		errs = append(errs, err)
	}
	secret := ""
	if in.Secret != nil && *in.Secret != "" {
		secret = *in.Secret
		errs = append(errs, checkWebhookSecret(secret))
	} else if secret, _, err = NewToken(""); err != nil {
		return nil, err
	}
	if err := FieldErrors(errs...); err != nil {
		return nil, err
	}
	active := in.Active == nil || *in.Active
	var w Webhook
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO webhooks (url, events, secret, active, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			rawURL, pq.StringArray(events), secret, active, actorMemberID(ctx)); err != nil {
			return Internal("registering a webhook", err)
		}
		if err := tx.GetContext(ctx, &w, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = $1`, id); err != nil {
			return Internal("reading a webhook", err)
		}
		return LogTx(ctx, tx, LogEntry{Action: LogWebhookCreate, TargetType: "webhook", TargetID: &w.ID, After: &w})
	})
	if err != nil {
		return nil, err
	}
	w.Secret = secret
	return &w, nil
}

// Webhooks lists the webhooks (admins only), the newest first.
func (db *DB) Webhooks(ctx context.Context) ([]Webhook, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	out := []Webhook{}
	return out, Internal("listing webhooks", db.SelectContext(ctx, &out, `SELECT `+webhookColumns+` FROM webhooks w ORDER BY w.id DESC`))
}

// UpdateWebhook changes a webhook's address, events, secret or state
// (admins only).
func (db *DB) UpdateWebhook(ctx context.Context, id int64, in WebhookInput, allowPrivate bool) (*Webhook, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var errs []error
	if in.URL != nil {
		u, err := checkWebhookURL(ctx, *in.URL, allowPrivate)
		errs = append(errs, err)
		*in.URL = u
	}
	var events pq.StringArray
	if in.Events != nil {
		e, err := checkWebhookEvents(*in.Events)
		errs = append(errs, err)
		events = e
	}
	if in.Secret != nil {
		errs = append(errs, checkWebhookSecret(*in.Secret))
	}
	if err := FieldErrors(errs...); err != nil {
		return nil, err
	}
	var w Webhook
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var before Webhook
		if err := tx.GetContext(ctx, &before, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "webhook.not_found", "reading a webhook")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET url = coalesce($2, url), events = coalesce($3, events),
			secret = coalesce($4, secret), active = coalesce($5, active) WHERE id = $1`, id, in.URL, events, in.Secret, in.Active); err != nil {
			return Internal("changing a webhook", err)
		}
		if err := tx.GetContext(ctx, &w, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = $1`, id); err != nil {
			return Internal("reading a webhook", err)
		}
		return LogTx(ctx, tx, LogEntry{Action: LogWebhookUpdate, TargetType: "webhook", TargetID: &id, Before: &before, After: &w})
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// DeleteWebhook removes a webhook and its deliveries (admins only).
func (db *DB) DeleteWebhook(ctx context.Context, id int64) error {
	if err := RequireAdmin(ctx); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var before Webhook
		if err := tx.GetContext(ctx, &before, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "webhook.not_found", "reading a webhook")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id); err != nil {
			return Internal("deleting a webhook", err)
		}
		return LogTx(ctx, tx, LogEntry{Action: LogWebhookDelete, TargetType: "webhook", TargetID: &id, Before: &before})
	})
}

// WebhookDeliveries lists a webhook's deliveries, the newest first, before
// the delivery id before (0: from the newest); next is the cursor of the
// following page, 0 at the end. Admins only.
func (db *DB) WebhookDeliveries(ctx context.Context, webhookID, before int64, limit int) (list []WebhookDelivery, next int64, err error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, 0, err
	}
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = $1)`, webhookID); err != nil {
		return nil, 0, Internal("reading a webhook", err)
	}
	if !exists {
		return nil, 0, Errorf(ENOTFOUND, "webhook.not_found", nil)
	}
	limit = min(max(limit, 1), 100)
	list = []WebhookDelivery{}
	err = db.SelectContext(ctx, &list, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE webhook_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, webhookID, before, limit+1)
	if err != nil {
		return nil, 0, Internal("reading deliveries", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// Redeliver sends a delivery's event again, as a new delivery of the same
// payload that names the one it repeats (admins only).
func (db *DB) Redeliver(ctx context.Context, webhookID, deliveryID int64) (*WebhookDelivery, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var d WebhookDelivery
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &d, `INSERT INTO webhook_deliveries (webhook_id, event, payload, redelivery_of)
			SELECT webhook_id, event, payload, id FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2
			RETURNING `+deliveryColumns, deliveryID, webhookID)
		if err != nil {
			return notFound(err, "webhook.delivery_not_found", "redelivering")
		}
		_, err = enqueueJob(ctx, tx, NewJob{Kind: JobWebhookDelivery, Payload: map[string]int64{"delivery_id": d.ID}, MaxAttempts: 8})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// OutgoingWebhook is a delivery with what sending it needs.
type OutgoingWebhook struct {
	WebhookDelivery
	URL    string `db:"url"`
	Secret string `db:"secret"`
	Active bool   `db:"active"`
}

// WebhookToSend reads a delivery for the sender; nil when it is gone (its
// webhook deleted) or no longer pending.
func (db *DB) WebhookToSend(ctx context.Context, deliveryID int64) (*OutgoingWebhook, error) {
	var o OutgoingWebhook
	err := db.GetContext(ctx, &o, `SELECT d.id, d.webhook_id, d.event, d.payload, d.status, d.attempts, d.response_status,
		d.response_body, d.error, d.duration_ms, d.redelivery_of, d.created_at, d.last_attempt_at, d.delivered_at,
		w.url, w.secret, w.active
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1`, deliveryID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, Internal("reading a delivery", err)
	}
	if o.Status != "pending" {
		return nil, nil
	}
	return &o, nil
}

// RecordWebhookAttempt writes what an attempt gave: delivered on a 2xx
// answer; otherwise still pending (the job retries), or failed when the
// attempt was the last.
func (db *DB) RecordWebhookAttempt(ctx context.Context, deliveryID int64, a WebhookAttempt) error {
	status := "pending"
	switch {
	case a.Err == "" && a.Status >= 200 && a.Status < 300:
		status = "delivered"
	case a.Final:
		status = "failed"
	}
	body := toValidText(a.Body)
	if len(body) > webhookResponseKept {
		body = strings.ToValidUTF8(body[:webhookResponseKept], "")
	}
	var code *int
	if a.Status != 0 {
		code = &a.Status
	}
	_, err := db.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, response_status = $3,
		response_body = $4, error = $5, duration_ms = $6, last_attempt_at = now(),
		delivered_at = CASE WHEN $2 = 'delivered' THEN now() END WHERE id = $1`,
		deliveryID, status, code, body, toValidText(a.Err), int(a.Duration.Milliseconds()))
	return Internal("recording a delivery", err)
}

// PurgeWebhookDeliveries forgets deliveries older than 30 days.
func (db *DB) PurgeWebhookDeliveries(ctx context.Context) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE created_at < now() - interval '30 days'`)
	if err != nil {
		return 0, Internal("purging webhook deliveries", err)
	}
	return res.RowsAffected()
}

// actorMemberID is the acting member's id, nil for the system.
func actorMemberID(ctx context.Context) *int64 {
	if m := MemberFrom(ctx); m != nil {
		return &m.ID
	}
	return nil
}
