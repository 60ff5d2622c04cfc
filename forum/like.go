package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// LikeState is a post's like count and whether the member likes it.
type LikeState struct {
	Count int  `json:"like_count"`
	Liked bool `json:"liked"`
}

const insertLike = `INSERT INTO likes (post_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`

const deleteLike = `DELETE FROM likes WHERE post_id = $1 AND member_id = $2`

const addLikes = `UPDATE posts SET like_count = like_count + $2 WHERE id = $1 RETURNING like_count`

// Like records that the member of ctx likes a post (once: liking twice
// changes nothing). Not one's own post, nor a post that is not published.
func (db *DB) Like(ctx context.Context, postID int64) (*LikeState, error) {
	return db.setLike(ctx, postID, true)
}

// Unlike takes the member's like back; unliking a post not liked changes
// nothing.
func (db *DB) Unlike(ctx context.Context, postID int64) (*LikeState, error) {
	return db.setLike(ctx, postID, false)
}

func (db *DB) setLike(ctx context.Context, postID int64, like bool) (*LikeState, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	a := ActorFrom(ctx)
	state := &LikeState{Liked: like}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		p, err := postSeen(ctx, tx, postID)
		if err != nil {
			return err
		}
		if like {
			switch {
			case a.isAuthor(p.AuthorID):
				return Errorf(EFORBIDDEN, "like.own_post", nil)
			case p.Status != StatusPublished:
				return Errorf(EFORBIDDEN, "like.not_published", nil)
			}
		}
		q, delta := insertLike, 1
		if !like {
			q, delta = deleteLike, -1
		}
		res, err := tx.ExecContext(ctx, q, postID, m.ID)
		if err != nil {
			return Internal("recording a like", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			state.Count = p.LikeCount
			return nil
		}
		if like {
			if err := NotifyLikeTx(ctx, tx, postID, m.ID); err != nil {
				return err
			}
		}
		return Internal("counting likes", tx.QueryRowxContext(ctx, addLikes, postID, delta).Scan(&state.Count))
	})
	if err != nil {
		return nil, err
	}
	return state, nil
}
