package moderation

import (
	"context"
	"slices"

	"github.com/palabre/palabre/forum"
)

// TextTest is what the rules make of a text, for an admin trying them.
type TextTest struct {
	Verdict Verdict `json:"verdict"`
	Matches []Match `json:"matches"`
}

// TestText runs text through the rules in force as if a new member (trust
// level 0) posted it, and lists what each rule found (admins only). The
// rules that count a member's history (rate, duplicates, new members) are
// not applied: they do not depend on the text.
func (p *Pipeline) TestText(ctx context.Context, text string) (*TextTest, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	rs, err := p.ruleSet(ctx)
	if err != nil {
		return nil, err
	}
	return p.tryText(ctx, rs, text)
}

func (p *Pipeline) tryText(ctx context.Context, rs *ruleSet, text string) (*TextTest, error) {
	settings, err := p.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	md, err := Normalize(text, "text", TextLimits{MinRunes: 1, MaxRunes: settings.PostMaxLength})
	if err != nil {
		return nil, err
	}
	newcomer := &forum.Member{TrustLevel: forum.TrustNew, Role: forum.RoleMember}
	c := rs.checkText(draftFor(newcomer, settings, "", md, p.memberExists(ctx)), true)
	out := &TextTest{Verdict: c.Verdict, Matches: c.Matches}
	if out.Matches == nil {
		out.Matches = []Match{}
	}
	if out.Verdict.Reasons == nil {
		out.Verdict.Reasons = []Reason{}
	}
	return out, nil
}

// Impact is what a draft rule would have done to the last posts published.
type Impact struct {
	Scanned  int             `json:"scanned"`
	Blocked  int             `json:"blocked"`
	Held     int             `json:"held"`
	Flagged  int             `json:"flagged"`
	Censored int             `json:"censored"`
	Examples []ImpactExample `json:"examples"` // posts the draft rule hits, at most impactExamples
}

// ImpactExample is a post a draft rule would have hit.
type ImpactExample struct {
	PostID   int64  `db:"id" json:"post_id"`
	ThreadID int64  `db:"thread_id" json:"thread_id"`
	Number   int    `db:"number" json:"number"`
	Author   string `db:"author" json:"author"`
	Outcome  string `db:"-" json:"outcome"` // the verdict with the draft among the rules
	Excerpt  string `db:"-" json:"excerpt"` // what the draft found
}

const impactExamples = 20

// Bounds of PreviewRule's lastN.
const (
	PreviewMin = 1
	PreviewMax = 5000
)

const selectRecentPosts = `
SELECT p.id, p.thread_id, p.number, p.body_markdown, coalesce(m.username, '') AS author,
	coalesce(m.trust_level, 0) AS trust_level, coalesce(m.role, 'member') AS role
FROM posts p LEFT JOIN members m ON m.id = p.author_id
WHERE p.status = 'published'
ORDER BY p.created_at DESC, p.id DESC
LIMIT $1`

// PreviewRule runs the rules in force with draft among them (replacing the
// rule of the same id, for an edit; draft.ID 0 for a new rule) over the last
// lastN published posts, as their authors posted them, and counts what the
// verdicts would have been: blocked, held, flagged, censored (admins only).
// Only rules that read the text can be previewed.
func (p *Pipeline) PreviewRule(ctx context.Context, id int64, draft RuleInput, lastN int) (*Impact, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if lastN < PreviewMin || lastN > PreviewMax {
		return nil, forum.Errorf(forum.EINVALID, "rules.preview_count_invalid", map[string]any{"Min": PreviewMin, "Max": PreviewMax})
	}
	r, err := draft.normalize()
	if err != nil {
		return nil, err
	}
	if r.Kind != KindWords && r.Kind != KindLinks && r.Kind != KindMentions {
		return nil, forum.Errorf(forum.EINVALID, "rules.preview_unsupported", nil).OnField("kind")
	}
	r.ID, r.Enabled = id, true
	if id == 0 {
		r.ID = -1 // not a stored rule's id
	}
	rules, err := p.loadRules(ctx, true)
	if err != nil {
		return nil, err
	}
	rules = slices.DeleteFunc(rules, func(x *Rule) bool { return x.ID == id })
	rs := compileRules(append(rules, r))

	settings, err := p.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var posts []struct {
		ImpactExample
		Markdown   string     `db:"body_markdown"`
		TrustLevel int        `db:"trust_level"`
		Role       forum.Role `db:"role"`
	}
	if err := p.db.SelectContext(ctx, &posts, selectRecentPosts, lastN); err != nil {
		return nil, forum.Internal("reading recent posts", err)
	}
	out := &Impact{Scanned: len(posts), Examples: []ImpactExample{}}
	exists := p.memberExists(ctx)
	for _, post := range posts {
		author := &forum.Member{TrustLevel: post.TrustLevel, Role: post.Role}
		c := rs.checkText(draftFor(author, settings, "", post.Markdown, exists), true)
		i := slices.IndexFunc(c.Matches, func(m Match) bool { return m.Rule.ID == r.ID })
		if i < 0 {
			continue
		}
		switch v := c.Verdict; {
		case v.Outcome == OutcomeReject:
			out.Blocked++
		case v.Outcome == OutcomeHold:
			out.Held++
		case v.Flagged:
			out.Flagged++
		case v.Outcome == OutcomePublishCensored:
			out.Censored++
		}
		if len(out.Examples) < impactExamples {
			ex := post.ImpactExample
			ex.Outcome, ex.Excerpt = c.Verdict.Outcome, c.Matches[i].Excerpt
			out.Examples = append(out.Examples, ex)
		}
	}
	return out, nil
}
