package moderation

// reasonMessages are the messages (templates/locales/rules.*.json) that tell
// the author of a text why a rule held or refused it, by what the rule
// found and its action. Every message gets the rule's name (Rule) and
// description (Description); words add Excerpt, blocked domains Domain,
// limits Count and Max, rate limits and new members Max, duplicates
// Minutes. A flag is not shown to the author: moderators see
// rules.flagged in the review queue.
var reasonMessages = map[[2]string]Reason{
	{"words", ActionBlock}:        {Key: "rules.words_block"},
	{"words", ActionHold}:         {Key: "rules.words_hold"},
	{"words", ActionCensor}:       {Key: "rules.words_censor"},
	{"link_domain", ActionBlock}:  {Key: "rules.link_domain_block"},
	{"link_domain", ActionHold}:   {Key: "rules.link_domain_hold"},
	{"links", ActionBlock}:        {Key: "rules.links_block"},
	{"links", ActionHold}:         {Key: "rules.links_hold"},
	{"mentions", ActionBlock}:     {Key: "rules.mentions_block"},
	{"mentions", ActionHold}:      {Key: "rules.mentions_hold"},
	{"new_member", ActionBlock}:   {Key: "rules.new_member_block"},
	{"new_member", ActionHold}:    {Key: "rules.new_member_hold"},
	{"rate_posts", ActionBlock}:   {Key: "rules.rate_posts_block"},
	{"rate_posts", ActionHold}:    {Key: "rules.rate_posts_hold"},
	{"rate_threads", ActionBlock}: {Key: "rules.rate_threads_block"},
	{"rate_threads", ActionHold}:  {Key: "rules.rate_threads_hold"},
	{"duplicate", ActionBlock}:    {Key: "rules.duplicate_block"},
	{"duplicate", ActionHold}:     {Key: "rules.duplicate_hold"},
	{"any", ActionFlag}:           {Key: "rules.flagged"},
}

// reasonFor returns the reason, without arguments, for a hit of rule on
// what ("words", "link_domain", "links", "mentions", "new_member",
// "rate_posts", "rate_threads", "duplicate").
func reasonFor(rule *Rule, what string) Reason {
	r, ok := reasonMessages[[2]string{what, rule.Action}]
	if !ok { // a flag, or censor on what is not words (refused when the rule is saved)
		r = reasonMessages[[2]string{"any", ActionFlag}]
	}
	r.Rule, r.Action = rule.Ref(), rule.Action
	r.rateLimited = what == "rate_posts" || what == "rate_threads"
	return r
}
