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

// postingHistory takes the member's posting lock, which serialises one
// member's submissions across instances so that two posts sent at once
// cannot both slip under a rate limit, and counts what the history rules
// ask, in one round trip (migration 0023): posts in the last minute,
// threads in the last day, whether the same text was posted within the
// window, published posts up to a limit. What is not asked is NULL.
const postingHistory = `SELECT recent_posts, recent_threads, duplicate, published FROM posting_history($1, $2, $3, $4, $5, $6)`

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
	tl := trustIndex(d.Author.TrustLevel)
	s := d.Settings
	var (
		postLimit, threadLimit, dupMinutes, held int
		recentPosts, recentThreads, published    *int
		duplicate                                *bool
	)
	if len(rs.rate) > 0 {
		postLimit = s.PostsPerMinute[tl]
		if d.NewThread {
			threadLimit = s.ThreadsPerDay[tl]
		}
	}
	if len(rs.duplicates) > 0 {
		dupMinutes = s.DuplicateWindowMinutes
	}
	if len(rs.newMembers) > 0 && d.Author.TrustLevel == forum.TrustNew {
		held = s.NewMemberHeldPosts
	}
	if err := tx.QueryRowContext(ctx, postingHistory, d.Author.ID, postLimit > 0, threadLimit > 0, max(dupMinutes, 0), d.Markdown,
		max(held, 0)).Scan(&recentPosts, &recentThreads, &duplicate, &published); err != nil {
		return v, forum.Internal("reading the member's posting history", err)
	}
	if recentPosts != nil && *recentPosts >= postLimit {
		addHistoryHits(&v, rs.rate, "rate_posts", map[string]any{"Max": postLimit})
	}
	if recentThreads != nil && *recentThreads >= threadLimit {
		addHistoryHits(&v, rs.rate, "rate_threads", map[string]any{"Max": threadLimit})
	}
	if duplicate != nil && *duplicate {
		addHistoryHits(&v, rs.duplicates, "duplicate", map[string]any{"Minutes": dupMinutes, "Count": dupMinutes})
	}
	if published != nil && *published < held {
		addHistoryHits(&v, rs.newMembers, "new_member", map[string]any{"Max": held})
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
