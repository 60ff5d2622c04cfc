package moderation

import (
	"context"

	"github.com/palabre/palabre/forum"
)

// previewMentionLookups bounds the members a preview looks up for its
// @mentions: publishing refuses far fewer mentions than that anyway (the
// mentions rule), and a preview must stay cheap.
const previewMentionLookups = 50

// Preview is what a body would look like once published by the member in
// ctx: normalised, rendered and sanitized exactly as publishing does (the
// member's trust level decides whether images show, mentions of members
// link), but without the guidelines' rules and without storing anything.
func (p *Pipeline) Preview(ctx context.Context, body string) (string, error) {
	author, err := forum.RequireMember(ctx)
	if err != nil {
		return "", err
	}
	settings, err := p.db.Settings(ctx)
	if err != nil {
		return "", err
	}
	md, err := Normalize(body, "body", TextLimits{MaxRunes: settings.PostMaxLength})
	if err != nil {
		return "", err
	}
	exists, seen := p.memberExists(ctx), map[string]bool{}
	limited := func(name string) bool {
		if ok, done := seen[name]; done {
			return ok
		}
		ok := len(seen) < previewMentionLookups && exists(name)
		seen[name] = ok
		return ok
	}
	allowImages := author.IsStaff() || author.TrustLevel >= settings.ImagesMinTrustLevel
	r := Render(md, RenderOptions{AllowImages: allowImages, MemberExists: limited})
	return Sanitize(r.HTML, allowImages), nil
}
