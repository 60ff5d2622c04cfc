package forum

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Bookmarks: a member keeps posts to come back to, each with a note and, if
// they want, a reminder (migration 0048). The job JobBookmarkReminders
// notifies them when a reminder is due.

// NotifyBookmarkReminder: a bookmark's reminder came due.
const NotifyBookmarkReminder = "bookmark_reminder"

// JobBookmarkReminders sends the reminders that are due; it runs every
// BookmarkRemindersEvery.
const JobBookmarkReminders = "bookmark.reminders"

// BookmarkRemindersEvery is how often due reminders are looked for: a
// reminder arrives at most this late.
const BookmarkRemindersEvery = time.Minute

// Limits of a bookmark.
const (
	BookmarkNoteMax       = 500
	bookmarkReminderAhead = 366 * 24 * time.Hour // a reminder at most a year ahead
	bookmarksPage         = 30
)

// Bookmark is a member's bookmark with the post it keeps.
type Bookmark struct {
	ID          int64      `db:"id" json:"id"`
	PostID      int64      `db:"post_id" json:"post_id"`
	PostNumber  int        `db:"post_number" json:"post_number"`
	ThreadID    int64      `db:"thread_id" json:"thread_id"`
	ThreadTitle string     `db:"thread_title" json:"thread_title"`
	ThreadSlug  string     `db:"thread_slug" json:"thread_slug"`
	Author      *string    `db:"author" json:"author"`
	Excerpt     string     `db:"excerpt" json:"excerpt"`
	Note        string     `db:"note" json:"note"`
	RemindAt    *time.Time `db:"remind_at" json:"remind_at"`
	RemindedAt  *time.Time `db:"reminded_at" json:"reminded_at"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	// Available is false when the post was hidden, deleted or held since:
	// the bookmark stays, without its text.
	Available bool `db:"available" json:"available"`
}

// BookmarkInput is what a member sets on a bookmark: a note and either an
// exact reminder time or one of the reminder presets.
type BookmarkInput struct {
	Note     string     `json:"note"`
	RemindAt *time.Time `json:"remind_at"` // nil: no reminder
	// Remind, when set, is a preset (RemindHours…) that replaces RemindAt,
	// or RemindKeep, which leaves the reminder of an existing bookmark as it
	// is: the form that only changes the note.
	Remind string `json:"remind,omitempty"`
}

// The reminder presets the bookmark forms offer, as Discourse does. The
// days begin in the forum's time zone (the time_zone setting): "tomorrow"
// is 8 a.m. there.
const (
	RemindNone     = "none"
	RemindHours    = "hours"    // in three hours
	RemindTomorrow = "tomorrow" // tomorrow morning
	RemindWeek     = "week"     // in a week, in the morning
	RemindMonth    = "month"    // in thirty days, in the morning
	RemindKeep     = "keep"     // the reminder already set
)

// reminderMorning is the hour of the day a preset's reminder falls.
const reminderMorning = 8

// presetReminder is when the preset choice falls from now in loc, nil for
// RemindNone; ok is false for an unknown preset.
func presetReminder(choice string, now time.Time, loc *time.Location) (at *time.Time, ok bool) {
	now = now.In(loc)
	morning := func(days int) time.Time {
		d := now.AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), reminderMorning, 0, 0, 0, loc)
	}
	var t time.Time
	switch choice {
	case RemindNone:
		return nil, true
	case RemindHours:
		t = now.Add(3 * time.Hour)
	case RemindTomorrow:
		t = morning(1)
	case RemindWeek:
		t = morning(7)
	case RemindMonth:
		t = morning(30)
	default:
		return nil, false
	}
	return &t, true
}

// BookmarkPage is one page of a member's bookmarks; Next is the cursor of
// the following page, 0 at the end.
type BookmarkPage struct {
	Bookmarks []Bookmark `json:"bookmarks"`
	Next      int64      `json:"next"`
}

// bookmarkColumns read a bookmark (b) with its post (p), thread (t) and
// author (m); the post's text only while it is published.
const bookmarkColumns = `b.id, b.post_id, p.number AS post_number, p.thread_id, t.title AS thread_title, t.slug AS thread_slug,
	m.username AS author, b.note, b.remind_at, b.reminded_at, b.created_at,
	(p.status = 'published' AND t.status = 'published') AS available,
	CASE WHEN p.status = 'published' AND t.status = 'published' THEN left(regexp_replace(p.body_markdown, '\s+', ' ', 'g'), 200) ELSE '' END AS excerpt`

const bookmarkFrom = `FROM bookmarks b JOIN posts p ON p.id = b.post_id JOIN threads t ON t.id = p.thread_id LEFT JOIN members m ON m.id = p.author_id`

// BookmarkPost keeps a post among the acting member's bookmarks, or changes
// the note and reminder of the one they have. A reminder must be in the
// future (and within a year); changing it sends it again.
func (db *DB) BookmarkPost(ctx context.Context, postID int64, in BookmarkInput) (*Bookmark, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	note, noteErr := cleanText(in.Note, "note", BookmarkNoteMax)
	var remindErr error
	keep := in.Remind == RemindKeep
	switch {
	case keep:
		in.RemindAt = nil
	case in.Remind != "":
		st, err := db.Settings(ctx)
		if err != nil {
			return nil, err
		}
		at, ok := presetReminder(in.Remind, time.Now(), st.Location())
		if !ok {
			remindErr = Errorf(EINVALID, "bookmark.choice_invalid", nil).OnField("remind")
		}
		in.RemindAt = at
	}
	if in.RemindAt != nil {
		now := time.Now()
		switch {
		case !in.RemindAt.After(now):
			remindErr = Errorf(EINVALID, "bookmark.remind_past", nil).OnField("remind_at")
		case in.RemindAt.After(now.Add(bookmarkReminderAhead)):
			remindErr = Errorf(EINVALID, "bookmark.remind_too_far", nil).OnField("remind_at")
		}
	}
	if err := FieldErrors(noteErr, remindErr); err != nil {
		return nil, err
	}
	if _, err := postSeen(ctx, db.pool, postID); err != nil {
		return nil, err
	}
	var b Bookmark
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `
INSERT INTO bookmarks (member_id, post_id, note, remind_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (member_id, post_id) DO UPDATE SET note = EXCLUDED.note, updated_at = now(),
	remind_at = CASE WHEN $5 THEN bookmarks.remind_at ELSE EXCLUDED.remind_at END,
	reminded_at = CASE WHEN $5 OR bookmarks.remind_at IS NOT DISTINCT FROM EXCLUDED.remind_at THEN bookmarks.reminded_at END
RETURNING id`, m.ID, postID, note, in.RemindAt, keep); err != nil {
			return Internal("bookmarking", err)
		}
		return Internal("reading a bookmark", tx.GetContext(ctx, &b, `SELECT `+bookmarkColumns+` `+bookmarkFrom+` WHERE b.id = $1`, id))
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// DeleteBookmark removes a post from the acting member's bookmarks;
// removing one that is not there is not an error.
func (db *DB) DeleteBookmark(ctx context.Context, postID int64) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `DELETE FROM bookmarks WHERE member_id = $1 AND post_id = $2`, m.ID, postID)
	return Internal("removing a bookmark", err)
}

// Bookmarks lists the acting member's bookmarks, the latest first, before
// the bookmark id before (0: from the latest).
func (db *DB) Bookmarks(ctx context.Context, before int64) (*BookmarkPage, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	page := &BookmarkPage{Bookmarks: []Bookmark{}}
	err = db.SelectContext(ctx, &page.Bookmarks, `SELECT `+bookmarkColumns+` `+bookmarkFrom+`
WHERE b.member_id = $1 AND ($2 = 0 OR b.id < $2) AND p.removal <> 'unpublished'
ORDER BY b.id DESC LIMIT $3`, m.ID, before, bookmarksPage+1)
	if err != nil {
		return nil, Internal("reading bookmarks", err)
	}
	if len(page.Bookmarks) > bookmarksPage {
		page.Bookmarks = page.Bookmarks[:bookmarksPage]
		page.Next = page.Bookmarks[bookmarksPage-1].ID
	}
	return page, nil
}

// BookmarkOf returns the acting member's bookmark of a post, nil when there
// is none (or no member acts).
func (db *DB) BookmarkOf(ctx context.Context, postID int64) (*Bookmark, error) {
	m := MemberFrom(ctx)
	if m == nil {
		return nil, nil
	}
	var b Bookmark
	err := db.GetContext(ctx, &b, `SELECT `+bookmarkColumns+` `+bookmarkFrom+` WHERE b.member_id = $1 AND b.post_id = $2`, m.ID, postID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, Internal("reading a bookmark", err)
	}
	return &b, nil
}

// BookmarkedPosts returns which of the posts the acting member bookmarked,
// for a thread page's buttons.
func (db *DB) BookmarkedPosts(ctx context.Context, postIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	m := MemberFrom(ctx)
	if m == nil || len(postIDs) == 0 {
		return out, nil
	}
	var ids []int64
	if err := db.SelectContext(ctx, &ids, `SELECT post_id FROM bookmarks WHERE member_id = $1 AND post_id = ANY($2)`, m.ID, pq.Array(postIDs)); err != nil {
		return nil, Internal("reading bookmarks", err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// sendDueReminders notifies the members whose reminders are due, marks them
// sent, in one statement; a reminder of a post no longer visible to its
// member is marked sent without a notification.
const sendDueReminders = `
WITH due AS (
	SELECT b.id, b.member_id, b.post_id, b.note, p.thread_id,
		(p.status = 'published' AND t.status = 'published' AND p.removal <> 'unpublished') AS visible
	FROM bookmarks b JOIN posts p ON p.id = b.post_id JOIN threads t ON t.id = p.thread_id
	WHERE b.remind_at <= now() AND b.reminded_at IS NULL
	ORDER BY b.remind_at
	LIMIT 500
	FOR UPDATE OF b SKIP LOCKED
), marked AS (
	UPDATE bookmarks b SET reminded_at = now() FROM due WHERE b.id = due.id
), notified AS (
	INSERT INTO notifications (member_id, kind, thread_id, post_id, data)
	SELECT member_id, 'bookmark_reminder', thread_id, post_id, jsonb_build_object('reason', note)
	FROM due WHERE visible
	RETURNING 1
)
SELECT (SELECT count(*) FROM due) AS due, (SELECT count(*) FROM notified) AS notified`

// BookmarkRemindersJob is the JobHandler of JobBookmarkReminders: it sends
// the due reminders, 500 at a time, until none is left.
func (db *DB) BookmarkRemindersJob(ctx context.Context, _ *Job) error {
	for {
		var n struct {
			Due      int `db:"due"`
			Notified int `db:"notified"`
		}
		if err := db.GetContext(ctx, &n, sendDueReminders); err != nil {
			return Internal("sending bookmark reminders", err)
		}
		if n.Due < 500 {
			return nil
		}
	}
}
