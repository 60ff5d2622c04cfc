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

// historyQuery is what the rules that count what the member posted before
// ask of the database; false when none applies: moderators and admins are
// exempt, and a community may have no such rule.
func (rs *ruleSet) historyQuery(d historyDraft) (forum.HistoryQuery, bool) {
	var q forum.HistoryQuery
	if d.Author.IsStaff() || len(rs.rate)+len(rs.duplicates)+len(rs.newMembers) == 0 {
		return q, false
	}
	tl := trustIndex(d.Author.TrustLevel)
	s := d.Settings
	if len(rs.rate) > 0 {
		q.PostLimit = s.PostsPerMinute[tl]
		if d.NewThread {
			q.ThreadLimit = s.ThreadsPerDay[tl]
		}
	}
	if len(rs.duplicates) > 0 {
		q.DuplicateMinutes = s.DuplicateWindowMinutes
	}
	if len(rs.newMembers) > 0 && d.Author.TrustLevel == forum.TrustNew {
		q.PublishedLimit = s.NewMemberHeldPosts
	}
	return q, true
}

// historyVerdict is the verdict of those rules on the member's history:
// rate limits, duplicates and the first posts of new members.
func (rs *ruleSet) historyVerdict(q forum.HistoryQuery, h forum.History) Verdict {
	var v Verdict
	if h.RecentPosts != nil && *h.RecentPosts >= q.PostLimit {
		addHistoryHits(&v, rs.rate, "rate_posts", map[string]any{"Max": q.PostLimit})
	}
	if h.RecentThreads != nil && *h.RecentThreads >= q.ThreadLimit {
		addHistoryHits(&v, rs.rate, "rate_threads", map[string]any{"Max": q.ThreadLimit})
	}
	if h.Duplicate != nil && *h.Duplicate {
		addHistoryHits(&v, rs.duplicates, "duplicate", map[string]any{"Minutes": q.DuplicateMinutes, "Count": q.DuplicateMinutes})
	}
	if h.Published != nil && *h.Published < q.PublishedLimit {
		addHistoryHits(&v, rs.newMembers, "new_member", map[string]any{"Max": q.PublishedLimit})
	}
	v.decide()
	return v
}

// checkHistory applies, in the transaction that will store the post, the
// rules that count what the member posted before. Everything is counted
// from the posts and threads tables, so the limits hold across instances.
func (rs *ruleSet) checkHistory(ctx context.Context, tx *sqlx.Tx, d historyDraft) (Verdict, error) {
	q, ask := rs.historyQuery(d)
	if !ask {
		return Verdict{}, nil
	}
	h, err := forum.PostingHistoryTx(ctx, tx, d.Author.ID, d.Markdown, q)
	if err != nil {
		return Verdict{}, err
	}
	return rs.historyVerdict(q, h), nil
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
