package moderation

import (
	"context"
	"encoding/json"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

const selectHeldReasons = `
SELECT ri.post_id, ri.reasons
FROM review_items ri JOIN posts p ON p.id = ri.post_id
WHERE ri.post_id = ANY($1) AND ri.status = 'pending' AND ri.kind = 'held'
  AND (p.author_id = $2 OR $3)`

// HeldReasons returns, for those of postIDs that wait for approval, why the
// rules held them (the reasons their author is told, rules.* messages), so
// that the author sees it beside the post. Only the author and the staff
// get them; other posts are absent from the map.
func (p *Pipeline) HeldReasons(ctx context.Context, postIDs []int64) (map[int64][]Reason, error) {
	a := forum.ActorFrom(ctx)
	if len(postIDs) == 0 || (a.Member == nil && !a.System) {
		return nil, nil
	}
	var viewer int64
	if a.Member != nil {
		viewer = a.Member.ID
	}
	var rows []struct {
		PostID  int64           `db:"post_id"`
		Reasons json.RawMessage `db:"reasons"`
	}
	if err := p.db.SelectContext(ctx, &rows, selectHeldReasons, pq.Array(postIDs), viewer, a.IsStaff()); err != nil {
		return nil, forum.Internal("reading why posts are held", err)
	}
	out := make(map[int64][]Reason, len(rows))
	for _, r := range rows {
		var v Verdict
		if json.Unmarshal(r.Reasons, &v.Reasons) != nil {
			continue // not the pipeline's reasons
		}
		v.Reasons = filterReasons(v.Reasons, func(x Reason) bool { return x.Key != "" })
		v.decide()
		if d := v.Deciding(); len(d) > 0 {
			out[r.PostID] = d
		}
	}
	return out, nil
}

func filterReasons(rs []Reason, keep func(Reason) bool) []Reason {
	out := rs[:0]
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}
