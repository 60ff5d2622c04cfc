package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// markRead keeps the highest post number a member has seen in a thread; a
// page read again or an older page changes nothing.
const markRead = `
INSERT INTO read_states (member_id, thread_id, last_read_number) VALUES ($1, $2, $3)
ON CONFLICT (member_id, thread_id) DO UPDATE
SET last_read_number = EXCLUDED.last_read_number, updated_at = now()
WHERE read_states.last_read_number < EXCLUDED.last_read_number`

// MarkRead records that the member of ctx has read a thread up to post
// number upTo: one upsert per page view. Visitors have no reading state.
func (db *DB) MarkRead(ctx context.Context, threadID int64, upTo int) error {
	m := MemberFrom(ctx)
	if m == nil || upTo <= 0 {
		return nil
	}
	_, err := db.pool.ExecContext(ctx, markRead, m.ID, threadID, upTo)
	return Internal("recording the reading state", err)
}

// markOwnRead: a member has read what they just wrote, but only when they
// had read everything before it, so that posts that arrived while they were
// writing stay unread.
const markOwnRead = `
WITH advanced AS (
	UPDATE read_states SET last_read_number = $3, updated_at = now()
	WHERE member_id = $1 AND thread_id = $2 AND last_read_number = $3 - 1
	RETURNING 1
)
INSERT INTO read_states (member_id, thread_id, last_read_number)
SELECT $1, $2, $3 WHERE $3 = 1
ON CONFLICT (member_id, thread_id) DO NOTHING`

// markOwnPostReadTx records, in the transaction that stores a post, that its
// author has read it.
func markOwnPostReadTx(ctx context.Context, tx *sqlx.Tx, authorID, threadID int64, number int) error {
	if _, err := tx.ExecContext(ctx, markOwnRead, authorID, threadID, number); err != nil {
		return Internal("recording the reading state", err)
	}
	return nil
}

// FirstUnread is the number of the first post after the member's reading
// state, and the ?after= of the page that shows it; ok is false when there
// is nothing new (or no reading state).
func (t *Thread) FirstUnread() (number, after int, ok bool) {
	if t.LastRead == nil || *t.LastRead >= t.LastPostNumber {
		return 0, 0, false
	}
	return *t.LastRead + 1, *t.LastRead, true
}

// Opened reports whether the member reading has a reading state for t
// (false: the thread is new to them).
func (t Thread) Opened() bool { return t.LastRead != nil }

// UnreadCount is the number of published posts after the reading state.
func (t Thread) UnreadCount() int {
	if t.Unread == nil {
		return 0
	}
	return *t.Unread
}

// ReadUpTo is the last post number read (0 when never opened).
func (t Thread) ReadUpTo() int {
	if t.LastRead == nil {
		return 0
	}
	return *t.LastRead
}

// NextUnread is the number of the post after the reading state.
func (t Thread) NextUnread() int { return t.ReadUpTo() + 1 }
