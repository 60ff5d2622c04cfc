package forum

import (
	"encoding/base64"
	"fmt"
	"math"
	"time"
)

// Cursor is a position in a list of threads ordered by (pinned, last
// activity, id), all descending: the next page starts strictly after it.
// Keyset pagination never skips or repeats a thread because others are
// created while a reader pages, and costs the same on page 1 and page 1000.
type Cursor struct {
	Pinned bool
	At     time.Time // last_post_at, to the microsecond as stored
	ID     int64
}

// String encodes the cursor for a URL; clients treat it as opaque.
func (c Cursor) String() string {
	p := 0
	if c.Pinned {
		p = 1
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d.%d", p, c.At.UnixMicro(), c.ID))
}

// ParseCursor decodes a cursor from a URL; "" is the start of the list.
func ParseCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := Errorf(EINVALID, "thread.cursor_invalid", nil).OnField("after")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 64 {
		return nil, bad
	}
	var p int
	var at, id int64
	var rest string
	if n, _ := fmt.Sscanf(string(raw), "%d.%d.%d%s", &p, &at, &id, &rest); n != 3 || (p != 0 && p != 1) || id <= 0 {
		return nil, bad
	}
	return &Cursor{Pinned: p == 1, At: time.UnixMicro(at).UTC(), ID: id}, nil
}

// keysetArgs returns the (pinned, at, id) arguments of a list query: a
// position before every thread when c is nil.
func (c *Cursor) keysetArgs() (bool, string, int64) {
	if c == nil {
		return true, "infinity", math.MaxInt64
	}
	return c.Pinned, c.At.UTC().Format(time.RFC3339Nano), c.ID
}

// cursorOf is the cursor just after t.
func cursorOf(t *Thread) Cursor {
	return Cursor{Pinned: t.Pinned, At: t.LastPostAt, ID: t.ID}
}
