package moderation

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/palabre/palabre/forum"
)

// queueCursor is where a page of the queue ends: pending items are ordered
// by score then age, resolved ones by the time of the decision, both then by
// id. It travels as an opaque string (?after=).
type queueCursor struct {
	score float64   // pending
	at    time.Time // pending: created; resolved: resolved
	id    int64
}

func (c queueCursor) encode() string {
	raw := strconv.FormatFloat(c.score, 'g', -1, 64) + "|" + strconv.FormatInt(c.at.UnixNano(), 10) + "|" + strconv.FormatInt(c.id, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeQueueCursor(s string) (*queueCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := forum.Errorf(forum.EINVALID, "review.filter_invalid", nil).OnField("after")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 {
		return nil, bad
	}
	score, err1 := strconv.ParseFloat(parts[0], 64)
	at, err2 := strconv.ParseInt(parts[1], 10, 64)
	id, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, bad
	}
	return &queueCursor{score: score, at: time.Unix(0, at), id: id}, nil
}

// args are the cursor's query parameters ($8 score, $9 time, $10 id); all
// NULL on the first page.
func (c *queueCursor) args() []any {
	if c == nil {
		return []any{nil, nil, nil}
	}
	return []any{c.score, c.at, c.id}
}

// QueueNext is the cursor of the page after items, "" when items was the
// last page.
func QueueNext(f QueueFilter, items []ReviewItem) string {
	if f.Limit <= 0 || len(items) < f.Limit {
		return ""
	}
	last := items[len(items)-1]
	c := queueCursor{score: last.Score, at: last.CreatedAt, id: last.ID}
	if f.Status == ReviewResolved && last.ResolvedAt != nil {
		c = queueCursor{at: *last.ResolvedAt, id: last.ID}
	}
	return c.encode()
}
