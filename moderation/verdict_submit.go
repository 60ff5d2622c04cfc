package moderation

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// checked is a submission through the text stages and the text rules, with
// what the rules that need the database will look at.
type checked struct {
	*checkedText
	rules    *ruleSet
	author   *forum.Member
	settings *forum.Settings
}

// check normalises a submission within the settings' length limits (title
// nil for a reply or an edit), renders and sanitizes the body, and applies
// the rules that look at the text. A text the rules refuse is returned as
// an error, before anything is stored.
func (p *Pipeline) check(ctx context.Context, author *forum.Member, title *string, body string) (*checked, error) {
	settings, err := p.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var t string
	if title != nil {
		t, err = Normalize(*title, "title", TextLimits{MinRunes: settings.TitleMinLength, MaxRunes: settings.TitleMaxLength})
		if err != nil {
			return nil, err
		}
	}
	md, err := Normalize(body, "body", TextLimits{MinRunes: settings.PostMinLength, MaxRunes: settings.PostMaxLength})
	if err != nil {
		return nil, err
	}
	rs, err := p.ruleSet(ctx)
	if err != nil {
		return nil, err
	}
	c := rs.checkText(draftFor(author, settings, t, md, p.memberExists(ctx)), false)
	if err := c.Verdict.Err(); err != nil {
		return nil, err
	}
	return &checked{checkedText: c, rules: rs, author: author, settings: settings}, nil
}

// draftFor gathers what the text rules need to know of the author.
func draftFor(author *forum.Member, s *forum.Settings, title, body string, exists func(string) bool) textDraft {
	tl := trustIndex(author.TrustLevel)
	return textDraft{
		Title: title, Body: body,
		TrustLevel: author.TrustLevel, Staff: author.IsStaff(),
		ImagesFrom: s.ImagesMinTrustLevel, LinksMax: s.LinksPerPost[tl], MentionsMax: s.MentionsPerPost[tl],
		MemberExists: exists,
	}
}

// historyTx completes the verdict of a new thread, in the transaction that
// stores it, with the rules that count the author's previous posts; it
// returns the error of a refusal, which rolls the transaction back. A
// reply's history is decided where it is stored (Pipeline.SubmitReply).
func (c *checked) historyTx(ctx context.Context, tx *sqlx.Tx) error {
	hv, err := c.rules.checkHistory(ctx, tx, historyDraft{
		Author: c.author, Settings: c.settings, Markdown: c.Prepared.Markdown, NewThread: true,
	})
	if err != nil {
		return err
	}
	if len(hv.Reasons) > 0 {
		c.Verdict.merge(hv)
	}
	return c.Verdict.Err()
}
