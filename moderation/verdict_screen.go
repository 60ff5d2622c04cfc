package moderation

import (
	"context"

	"github.com/palabre/palabre/forum"
)

// ScreenText applies the watched words to a text that is not a post — a
// display name, a profile bio, a report note — already normalised by the
// caller, for the member acting in ctx. Such a text cannot wait in the
// review queue, so a block or hold rule refuses it (EREJECTED on field,
// naming the rule); censor rules mask the words; flag rules let it
// through. Moderators and admins meet only the block rules, as for posts.
func (p *Pipeline) ScreenText(ctx context.Context, field, text string) (string, error) {
	rs, err := p.ruleSet(ctx)
	if err != nil || rs.words == nil || text == "" {
		return text, err
	}
	staff := forum.ActorFrom(ctx).IsStaff()
	var masks []WordMatch
	for _, m := range rs.words.Match(text) {
		rule := rs.byID[m.RuleID]
		switch {
		case rule == nil || (staff && rule.Action != ActionBlock):
		case rule.Action == ActionBlock || rule.Action == ActionHold:
			return "", forum.Errorf(forum.EREJECTED, "rules.text_refused", map[string]any{
				"Rule": rule.Name, "Description": rule.Description, "Excerpt": text[m.Start:m.End],
			}).OnField(field).WithRules([]forum.RuleRef{rule.Ref()})
		case rule.Action == ActionCensor:
			masks = append(masks, m)
		}
	}
	if len(masks) > 0 {
		text = mask(text, masks)
	}
	return text, nil
}
