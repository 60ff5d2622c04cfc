package moderation

import (
	"context"

	"github.com/palabre/palabre/forum"
)

// bioLimits bound a bio as the pipeline normalises it.
var bioLimits = TextLimits{MaxRunes: forum.BioMaxLength}

// PrepareProfile turns what a member typed on their profile into a
// forum.ProfileUpdate: the display name is normalised and screened like
// every text; the bio too, then its Markdown is rendered and sanitized once,
// here (images only from the trust level the settings allow them; links
// nofollow).
func (p *Pipeline) PrepareProfile(ctx context.Context, m *forum.Member, displayName, bio, locale *string, notify *forum.NotificationPrefs) (forum.ProfileUpdate, error) {
	u := forum.ProfileUpdate{Locale: locale, Notifications: notify}
	if displayName != nil {
		name, err := Normalize(*displayName, "display_name", TextLimits{MaxRunes: forum.DisplayNameMaxLength})
		if err != nil {
			return u, err
		}
		if name, err = p.ScreenText(ctx, "display_name", name); err != nil {
			return u, err
		}
		u.DisplayName = &name
	}
	if bio != nil {
		md, err := Normalize(*bio, "bio", bioLimits)
		if err != nil {
			return u, err
		}
		if md, err = p.ScreenText(ctx, "bio", md); err != nil {
			return u, err
		}
		settings, err := p.db.Settings(ctx)
		if err != nil {
			return u, err
		}
		allowImages := m.TrustLevel >= settings.ImagesMinTrustLevel || m.IsStaff()
		html := Sanitize(Render(md, RenderOptions{AllowImages: allowImages}).HTML, allowImages)
		u.BioMarkdown, u.BioHTML = &md, &html
	}
	return u, nil
}
