package forum

import (
	"context"
	"time"
)

// DomainStats are the community's figures the metrics show beside the
// HTTP ones, read in one statement at each scrape (every part is served by
// an index or the identity of its table).
type DomainStats struct {
	QueuePending        int64   `db:"queue_pending"`        // review items waiting
	QueueOldestSeconds  float64 `db:"queue_oldest_seconds"` // age of the oldest, 0 when none
	OutboxPending       int64   `db:"outbox_pending"`       // mail waiting to be sent
	OutboxOldestSeconds float64 `db:"outbox_oldest_seconds"`
	MailFailed          int64   `db:"mail_failed"`      // mail given up, in the last 7 days (the outbox keeps no more)
	WebhooksFailed      int64   `db:"webhooks_failed"`  // deliveries given up, in the delivery log (30 days)
	WebhooksPending     int64   `db:"webhooks_pending"` // deliveries waiting or retrying
	Members             int64   `db:"members"`          // accounts ever created (sign-ups), deleted ones included
	Posts               int64   `db:"posts"`            // posts ever stored
}

const selectDomainStats = `
SELECT
	(SELECT count(*) FROM review_items WHERE status = 'pending') AS queue_pending,
	coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM review_items WHERE status = 'pending'), 0) AS queue_oldest_seconds,
	(SELECT count(*) FROM outbox WHERE status = 'pending') AS outbox_pending,
	coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM outbox WHERE status = 'pending'), 0) AS outbox_oldest_seconds,
	(SELECT count(*) FROM outbox WHERE status = 'failed') AS mail_failed,
	(SELECT count(*) FROM webhook_deliveries WHERE status = 'failed') AS webhooks_failed,
	(SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS webhooks_pending,
	coalesce((SELECT max(id) FROM members), 0) AS members,
	coalesce((SELECT max(id) FROM posts), 0) AS posts`

// DomainStats reads the community's figures (for the metrics: the system
// only).
func (db *DB) DomainStats(ctx context.Context) (*DomainStats, error) {
	if !ActorFrom(ctx).System {
		return nil, Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var s DomainStats
	if err := db.pool.GetContext(ctx, &s, selectDomainStats); err != nil {
		return nil, Internal("reading the community's figures", err)
	}
	return &s, nil
}
