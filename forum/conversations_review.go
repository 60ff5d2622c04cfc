package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// selectMessagesUnderReview reads the private messages review item $1 is
// about: held with it, named by its reasons (held or flagged by the rules),
// or reported in it.
const selectMessagesUnderReview = `
SELECT m.id, m.conversation_id, m.number, m.author_id, coalesce(a.username, '') AS author_name,
	coalesce(a.status = 'deleted', false) AS author_deleted, m.body_markdown, m.body_html, m.status, m.created_at
FROM conversation_messages m
LEFT JOIN members a ON a.id = m.author_id
WHERE m.review_item_id = $1
   OR m.id IN (SELECT (r->'args'->>'MessageID')::bigint FROM review_items i, jsonb_array_elements(i.reasons) r
               WHERE i.id = $1 AND r->'args'->>'MessageID' IS NOT NULL)
   OR m.id IN (SELECT message_id FROM reports WHERE review_item_id = $1 AND message_id IS NOT NULL)
ORDER BY m.id`

// MessagesUnderReview returns, to the staff, the private messages a review
// item is about, whole: a moderator decides on a held message having read
// it. Only those messages, never the rest of their conversation (which a
// participant's report opens, Conversation), and each reading is written to
// the moderation log.
func (db *DB) MessagesUnderReview(ctx context.Context, itemID int64) ([]Message, error) {
	if err := RequireStaff(ctx); err != nil {
		return nil, err
	}
	msgs := []Message{}
	if err := db.SelectContext(ctx, &msgs, selectMessagesUnderReview, itemID); err != nil {
		return nil, Internal("reading the messages of a review item", err)
	}
	if len(msgs) == 0 {
		return msgs, nil
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		for i := range msgs {
			if err := LogTx(ctx, tx, LogEntry{Action: LogMessageRead, TargetType: "message", TargetID: &msgs[i].ID,
				After: map[string]any{"review_item": itemID}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}
