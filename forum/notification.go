package forum

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Kinds of notification.
const (
	NotifyReply      = "reply"      // a reply to one of your posts
	NotifyMention    = "mention"    // you were @mentioned
	NotifyQuote      = "quote"      // one of your posts was quoted
	NotifyLike       = "like"       // your post was liked (batched per post and day)
	NotifyModeration = "moderation" // an outcome of moderation on your content or account
	NotifyWatching   = "watching"   // a new post in a thread you watch
	NotifyNewThread  = "new_thread" // a new thread in a category you watch
	// NotifyBookmarkReminder (bookmark.go): a bookmark's reminder came due.
)

// NotificationKinds lists every kind, in the order the preferences show them.
var NotificationKinds = []string{NotifyReply, NotifyMention, NotifyQuote, NotifyLike, NotifyModeration, NotifyWatching, NotifyNewThread}

// Notification is one thing to tell a member, with what is needed to say it.
type Notification struct {
	ID          int64   `db:"id"`
	Kind        string  `db:"kind"`
	ActorID     *int64  `db:"actor_id"`
	ActorName   *string `db:"actor_name"`
	ThreadID    *int64  `db:"thread_id"`
	ThreadTitle *string `db:"thread_title"`
	ThreadSlug  *string `db:"thread_slug"`
	PostID      *int64  `db:"post_id"`
	PostNumber  *int    `db:"post_number"`
	// ConversationID: a private message (NotifyMessage); ThreadTitle is
	// then the conversation's title.
	ConversationID *int64          `db:"conversation_id"`
	RawData        json.RawMessage `db:"data"`
	CreatedAt      time.Time       `db:"created_at"`
	ReadAt         *time.Time      `db:"read_at"`
	Data           NotificationData
}

// NotificationData is the kind-specific part of a notification.
type NotificationData struct {
	Likers []int64 `json:"likers,omitempty"` // like: every member who liked the post that day
	Action string  `json:"action,omitempty"` // moderation: one of the Moderation* outcomes
	Reason string  `json:"reason,omitempty"` // moderation: the reason given to the member
	// Sanctions: the kind of sanction and its end (none for warnings and bans).
	Kind  string     `json:"kind,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// MessageID is the private message notified (NotifyMessage).
	MessageID int64 `json:"message_id,omitempty"`
}

// LikeCount is how many members liked the post (like notifications).
func (n *Notification) LikeCount() int { return max(len(n.Data.Likers), 1) }

// decode reads the notification's kind-specific part (Data) from its row.
func (n *Notification) decode() error {
	if len(n.RawData) == 0 {
		return nil
	}
	return Internal("decoding a notification", json.Unmarshal(n.RawData, &n.Data))
}

// Unread reports whether the member has not read the notification yet.
func (n *Notification) Unread() bool { return n.ReadAt == nil }

// NotificationPage is a page of a member's notifications, newest first.
type NotificationPage struct {
	Notifications []Notification
	Next          int64 // cursor of the next page (before this id), 0 at the end
	Unread        int   // unread notifications in all
}

// visibleNotification keeps notifications whose post the member may still
// see: a post hidden or deleted since then takes its notifications away
// (except moderation outcomes, which are about the member's own content).
// Triggers keep that on the notification (hidden, migration 0025); the
// staff see them all.
const visibleNotification = `
	(NOT n.hidden OR $1::boolean)`

const selectNotifications = `
SELECT n.id, n.kind, n.actor_id, a.username AS actor_name, n.thread_id, coalesce(t.title, cv.title) AS thread_title,
	t.slug AS thread_slug, n.post_id, p.number AS post_number, n.data, n.created_at, n.read_at, n.conversation_id
FROM notifications n
LEFT JOIN members a ON a.id = n.actor_id
LEFT JOIN threads t ON t.id = n.thread_id
LEFT JOIN conversations cv ON cv.id = n.conversation_id
LEFT JOIN posts p ON p.id = n.post_id
WHERE n.member_id = $2 AND ($3 = 0 OR n.id < $3) AND` + visibleNotification + `
ORDER BY n.id DESC
LIMIT $4`

// unreadCount counts the unread notifications of member MEMBER, all of them
// when STAFF: two counts, each served by its own partial index
// (notifications_unread for the staff, notifications_unread_shown for the
// others), which a single condition (NOT hidden OR STAFF) would not use.
const unreadCount = `CASE WHEN STAFF
	THEN (SELECT count(*) FROM notifications n WHERE n.member_id = MEMBER AND n.read_at IS NULL)
	ELSE (SELECT count(*) FROM notifications n WHERE n.member_id = MEMBER AND n.read_at IS NULL AND NOT n.hidden) END`

var countUnreadNotifications = `SELECT ` +
	strings.NewReplacer("STAFF", "$1::boolean", "MEMBER", "$2").Replace(unreadCount)

// unreadNotificationsOfM is countUnreadNotifications as a column of the
// queries that authenticate a member (aliased m): the count every page's
// header shows costs no query of its own.
var unreadNotificationsOfM = `,
	` + strings.NewReplacer("STAFF", "m.role IN ('moderator', 'admin')", "MEMBER", "m.id").Replace(unreadCount) + ` AS unread_notifications`

// Notifications lists the acting member's notifications, newest first,
// limit per page, before the cursor (0: from the newest).
func (db *DB) Notifications(ctx context.Context, before int64, limit int) (*NotificationPage, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 30
	}
	var rows []Notification
	if err := db.stmts.notifications.SelectContext(ctx, &rows, m.IsStaff(), m.ID, before, limit+1); err != nil {
		return nil, Internal("listing notifications", err)
	}
	page := &NotificationPage{Notifications: rows}
	if len(rows) > limit {
		page.Notifications = rows[:limit]
		page.Next = rows[limit-1].ID
	}
	for i := range page.Notifications {
		if err := page.Notifications[i].decode(); err != nil {
			return nil, err
		}
	}
	if page.Unread, err = db.UnreadNotifications(ctx); err != nil {
		return nil, err
	}
	return page, nil
}

// UnreadNotifications counts the acting member's unread notifications (0
// for visitors, without a query): the header's badge.
func (db *DB) UnreadNotifications(ctx context.Context) (int, error) {
	m := MemberFrom(ctx)
	if m == nil {
		return 0, nil
	}
	var n int
	err := db.stmts.unreadNotifications.GetContext(ctx, &n, m.IsStaff(), m.ID)
	return n, Internal("counting notifications", err)
}

// MarkNotificationsRead marks some of the acting member's notifications
// read (all of them when ids is empty) and returns how many stay unread.
func (db *DB) MarkNotificationsRead(ctx context.Context, ids []int64) (int, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return 0, err
	}
	if len(ids) > 1000 {
		return 0, Errorf(EINVALID, "notify.too_many_ids", map[string]any{"Max": 1000}).OnField("ids")
	}
	q := `UPDATE notifications SET read_at = now() WHERE member_id = $1 AND read_at IS NULL`
	args := []any{m.ID}
	if len(ids) > 0 {
		q += ` AND id = ANY($2)`
		args = append(args, pq.Array(ids))
	}
	if _, err := db.pool.ExecContext(ctx, q, args...); err != nil {
		return 0, Internal("marking notifications read", err)
	}
	return db.UnreadNotifications(ctx)
}

// OpenNotification marks one of the acting member's notifications read and
// returns it, so that following it leads to its post.
func (db *DB) OpenNotification(ctx context.Context, id int64) (*Notification, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	var n Notification
	err = db.pool.GetContext(ctx, &n, `
UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND member_id = $2
RETURNING id, kind, actor_id, NULL::text AS actor_name, thread_id, NULL::text AS thread_title,
	NULL::text AS thread_slug, post_id, NULL::integer AS post_number, data, created_at, read_at, conversation_id`, id, m.ID)
	if err != nil {
		return nil, notFound(err, "notify.not_found", "opening a notification")
	}
	if err := n.decode(); err != nil {
		return nil, err
	}
	// A link (GET) changes the badge: the page it leads to must not show
	// the remembered count (credential_cache.go).
	db.creds.forget(m.ID)
	return &n, nil
}
