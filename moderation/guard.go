package moderation

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// historyDraft is what the rules that look at a member's history need: who
// posts, what, and whether it starts a thread.
type historyDraft struct {
	Author    *forum.Member
	Settings  *forum.Settings
	Markdown  string // the body as it will be stored
	NewThread bool
}

// The posting lock serialises one member's submissions across instances,
// so that two posts sent at once cannot both slip under a rate limit.
const lockPosting = `SELECT pg_advisory_xact_lock(hashtextextended('palabre.posting:' || $1::text, 0))`

const countRecentPosts = `
SELECT count(*) FROM posts WHERE author_id = $1 AND created_at > now() - interval '1 minute'`

const countRecentThreads = `
SELECT count(*) FROM threads WHERE author_id = $1 AND created_at > now() - interval '1 day'`

const existsDuplicate = `
SELECT EXISTS (
	SELECT 1 FROM posts
	WHERE author_id = $1 AND created_at > now() - make_interval(mins => $2)
	  AND status <> 'deleted' AND body_markdown = $3)`

const countPublishedPosts = `
SELECT count(*) FROM (SELECT 1 FROM posts WHERE author_id = $1 AND status = 'published' LIMIT $2) p`

// checkHistory applies, in the transaction that will store the post, the
// rules that count what the member posted before: rate limits, duplicates
// and the first posts of new members. Everything is counted from the posts
// and threads tables, so the limits hold across instances. Moderators and
// admins are exempt.
func (rs *ruleSet) checkHistory(ctx context.Context, tx *sqlx.Tx, d historyDraft) (Verdict, error) {
	var v Verdict
	if d.Author.IsStaff() || len(rs.rate)+len(rs.duplicates)+len(rs.newMembers) == 0 {
		return v, nil
	}
	if _, err := tx.ExecContext(ctx, lockPosting, d.Author.ID); err != nil {
		return v, forum.Internal("locking the member's posting", err)
	}
	tl := trustIndex(d.Author.TrustLevel)
	s := d.Settings

	if len(rs.rate) > 0 {
		if limit := s.PostsPerMinute[tl]; limit > 0 {
			var n int
			if err := tx.GetContext(ctx, &n, countRecentPosts, d.Author.ID); err != nil {
				return v, forum.Internal("counting recent posts", err)
			}
			if n >= limit {
				addHistoryHits(&v, rs.rate, "rate_posts", map[string]any{"Max": limit})
			}
		}
		if limit := s.ThreadsPerDay[tl]; d.NewThread && limit > 0 {
			var n int
			if err := tx.GetContext(ctx, &n, countRecentThreads, d.Author.ID); err != nil {
				return v, forum.Internal("counting recent threads", err)
			}
			if n >= limit {
				addHistoryHits(&v, rs.rate, "rate_threads", map[string]any{"Max": limit})
			}
		}
	}
	if minutes := s.DuplicateWindowMinutes; len(rs.duplicates) > 0 && minutes > 0 {
		var dup bool
		if err := tx.GetContext(ctx, &dup, existsDuplicate, d.Author.ID, minutes, d.Markdown); err != nil {
			return v, forum.Internal("looking for a duplicate", err)
		}
		if dup {
			addHistoryHits(&v, rs.duplicates, "duplicate", map[string]any{"Minutes": minutes, "Count": minutes})
		}
	}
	if held := s.NewMemberHeldPosts; len(rs.newMembers) > 0 && held > 0 && d.Author.TrustLevel == forum.TrustNew {
		var n int
		if err := tx.GetContext(ctx, &n, countPublishedPosts, d.Author.ID, held); err != nil {
			return v, forum.Internal("counting a new member's posts", err)
		}
		if n < held {
			addHistoryHits(&v, rs.newMembers, "new_member", map[string]any{"Max": held})
		}
	}
	v.decide()
	return v, nil
}

func addHistoryHits(v *Verdict, rules []*Rule, what string, args map[string]any) {
	for _, rule := range rules {
		r := reasonFor(rule, what)
		r.Args = map[string]any{"Rule": rule.Name, "Description": rule.Description}
		for k, a := range args {
			r.Args[k] = a
		}
		v.add(r)
	}
}

// trustIndex bounds a trust level to the settings' per-level arrays.
func trustIndex(tl int) int { return min(max(tl, 0), 4) }
