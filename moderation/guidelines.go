package moderation

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// guidelinesLimits bound the guidelines document.
var guidelinesLimits = TextLimits{MinRunes: 20, MaxRunes: 100000}

// PublishGuidelines publishes a new version of the community guidelines
// (admins only): normalised, rendered and sanitized like any text, stored
// with who and when, logged. With requireAcceptance, members must accept it
// at their next visit.
func (p *Pipeline) PublishGuidelines(ctx context.Context, markdown string, requireAcceptance bool) (*forum.GuidelineVersion, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	md, err := Normalize(markdown, "body_markdown", guidelinesLimits)
	if err != nil {
		return nil, err
	}
	html := Sanitize(Render(md, RenderOptions{AllowImages: true, Document: true}).HTML, true)
	var out *forum.GuidelineVersion
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		out, err = forum.PublishGuidelinesTx(ctx, tx, md, html, requireAcceptance)
		return err
	})
	if err != nil {
		return nil, err
	}
	p.db.InvalidateGuidelines()
	return out, nil
}
