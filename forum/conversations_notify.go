package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// NotifyMessage is the kind of notification of a new private message.
const NotifyMessage = "message"

// notifyMessage tells the other participants of a published message (not
// those who left it, nor those who ignore its author), in the app and, as
// their preferences ask, by email.
const notifyMessage = `
WITH msg AS (
	SELECT m.id, m.conversation_id, m.author_id, c.title
	FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id
	WHERE m.id = $1 AND m.status = 'published'
), chosen AS (
	SELECT p.member_id, msg.id, msg.conversation_id, msg.author_id, msg.title,
		mb.email, mb.locale, mb.username, member_mailable(mb) AND mb.email_on_message AS wants_email,
		unsubscribe_path(mb.id, mb.unsubscribe_key, 'message') AS unsubscribe
	FROM msg
	JOIN conversation_participants p ON p.conversation_id = msg.conversation_id AND p.left_at IS NULL
	JOIN members mb ON mb.id = p.member_id
	WHERE p.member_id IS DISTINCT FROM msg.author_id AND mb.status <> 'deleted' AND mb.banned_at IS NULL
	  AND NOT EXISTS (SELECT 1 FROM ignored_members i WHERE i.member_id = p.member_id AND i.ignored_id = msg.author_id)
), inserted AS (
	INSERT INTO notifications (member_id, kind, actor_id, conversation_id, data)
	SELECT member_id, 'message', author_id, conversation_id, jsonb_build_object('message_id', id) FROM chosen
	RETURNING 1
), mails AS (
	INSERT INTO outbox (recipient, kind, locale, data)
	SELECT c.email, 'notify_message', c.locale,
		jsonb_build_object('Username', c.username, 'Actor', coalesce(a.username, ''), 'Title', c.title,
			'Path', '/m/' || c.id, 'Unsubscribe', c.unsubscribe)
	FROM chosen c LEFT JOIN members a ON a.id = c.author_id
	WHERE c.wants_email
	RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM mails)`

// NotifyMessage notifies the participants of a message just committed, if
// it is published. A failure is logged: the message is stored all the same.
func (db *DB) NotifyMessage(ctx context.Context, m *Message) {
	if m == nil {
		return
	}
	var n int
	if err := db.GetContext(context.WithoutCancel(ctx), &n, notifyMessage, m.ID); err != nil {
		db.log.Warn("notifying a private message", "message", m.ID, "error", err)
	}
}

// settleHeldMessages publishes or removes the messages held with a review
// item; a published one moves its conversation's activity.
const settleHeldMessages = `
WITH settled AS (
	UPDATE conversation_messages SET status = $2
	WHERE review_item_id = $1 AND status = 'held'
	RETURNING id, conversation_id
), moved AS (
	UPDATE conversations c SET last_message_at = now()
	FROM (SELECT DISTINCT conversation_id FROM settled) s
	WHERE c.id = s.conversation_id AND $2 = 'published'
	RETURNING 1
)
SELECT id FROM settled ORDER BY id`

// SettleHeldMessagesTx gives the messages held with review item itemID the
// status a moderator decided (MessagePublished or MessageRemoved) and
// returns their ids.
func SettleHeldMessagesTx(ctx context.Context, tx *sqlx.Tx, itemID int64, status string) ([]int64, error) {
	var ids []int64
	rows, err := tx.QueryContext(ctx, settleHeldMessages, itemID, status)
	if err != nil {
		return nil, Internal("settling held messages", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, Internal("settling held messages", err)
		}
		ids = append(ids, id)
	}
	return ids, Internal("settling held messages", rows.Err())
}
