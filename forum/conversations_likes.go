package forum

import "context"

// MessageLikes is a message's like count and whether the reader likes it.
type MessageLikes struct {
	MessageID int64 `db:"message_id" json:"message_id"`
	Count     int   `db:"like_count" json:"like_count"`
	Liked     bool  `db:"liked" json:"liked"`
}

const (
	insertMessageLike  = `INSERT INTO message_likes (message_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	deleteMessageLike  = `DELETE FROM message_likes WHERE message_id = $1 AND member_id = $2`
	selectMessageLikes = `
SELECT $1::bigint AS message_id, (SELECT count(*) FROM message_likes WHERE message_id = $1) AS like_count,
	EXISTS (SELECT 1 FROM message_likes WHERE message_id = $1 AND member_id = $2) AS liked`
)

// LikeMessage records (like) or takes back (!like) the acting member's
// like of a message, as for posts: participants only, a published message
// of someone else; both idempotent.
func (db *DB) LikeMessage(ctx context.Context, id int64, like bool) (*MessageLikes, error) {
	me, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	m, c, err := db.MessageByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.Participant {
		return nil, Errorf(ENOTFOUND, "conversation.message_not_found", nil)
	}
	if like {
		if m.IsAuthor(me) {
			return nil, Errorf(EFORBIDDEN, "conversation.like_own", nil)
		}
		if m.Status != MessagePublished {
			return nil, Errorf(ECONFLICT, "conversation.like_unpublished", nil)
		}
		_, err = db.ExecContext(ctx, insertMessageLike, id, me.ID)
	} else {
		_, err = db.ExecContext(ctx, deleteMessageLike, id, me.ID)
	}
	if err != nil {
		return nil, Internal("recording a like of a message", err)
	}
	var out MessageLikes
	if err := db.GetContext(ctx, &out, selectMessageLikes, id, me.ID); err != nil {
		return nil, Internal("counting a message's likes", err)
	}
	return &out, nil
}
