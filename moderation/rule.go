package moderation

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// Rule kinds: what a rule looks at.
const (
	KindWords      = "words"       // watched words and phrases (Patterns)
	KindLinks      = "links"       // blocked domains, and links per post by trust level (Params)
	KindMentions   = "mentions"    // mentions per post by trust level (settings)
	KindNewMembers = "new_members" // a new member's first posts (settings)
	KindRate       = "rate"        // posts per minute, new threads per day, by trust level (settings)
	KindDuplicates = "duplicates"  // the same text again within a window (settings)
)

// Rule actions, from the strongest: what happens to a text a rule hits.
const (
	ActionBlock  = "block"  // refused: the author sees which rule
	ActionHold   = "hold"   // stored, published once a moderator approves
	ActionFlag   = "flag"   // published, and put in the review queue
	ActionCensor = "censor" // published with the watched words masked
)

// RuleKinds and RuleActions list the valid values, for forms.
var (
	RuleKinds   = []string{KindWords, KindLinks, KindMentions, KindNewMembers, KindRate, KindDuplicates}
	RuleActions = []string{ActionBlock, ActionHold, ActionFlag, ActionCensor}
)

// Rule is one rule of the community guidelines, as the pipeline enforces it.
type Rule struct {
	ID          int64          `db:"id" json:"id"`
	Name        string         `db:"name" json:"name"`
	Description string         `db:"description" json:"description"`
	Kind        string         `db:"kind" json:"kind"`
	Patterns    pq.StringArray `db:"patterns" json:"patterns"`
	// Exceptions are words and phrases that never match a words rule,
	// written and matched like its patterns ("negro spiritual*").
	Exceptions pq.StringArray `db:"exceptions" json:"exceptions"`
	Params     RuleParams     `db:"params" json:"params"`
	Action     string         `db:"action" json:"action"`
	Enabled    bool           `db:"enabled" json:"enabled"`
	CreatedAt  time.Time      `db:"created_at" json:"created_at"`
	CreatedBy  *int64         `db:"created_by" json:"created_by"`
	UpdatedAt  time.Time      `db:"updated_at" json:"updated_at"`
	UpdatedBy  *int64         `db:"updated_by" json:"updated_by"`
}

// Ref names the rule for the author of a text it decided.
func (r *Rule) Ref() forum.RuleRef { return forum.RuleRef{ID: r.ID, Name: r.Name} }

// RuleParams are the parameters of the kinds that have some.
type RuleParams struct {
	// Links: a link to one of these domains (or their subdomains) hits the
	// rule whatever the member's trust level.
	BlockDomains []string `json:"block_domains,omitempty"`
	// Links: with Limit, more links than the member's trust level allows
	// (setting links_per_post) hit the rule; links to AllowDomains do not
	// count.
	Limit        bool     `json:"limit,omitempty"`
	AllowDomains []string `json:"allow_domains,omitempty"`
}

// Value stores the parameters as jsonb (a string: see forum.JSONArg).
func (p RuleParams) Value() (driver.Value, error) { return forum.JSONArg(p) }

// Scan reads the parameters from jsonb.
func (p *RuleParams) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	case nil:
		*p = RuleParams{}
		return nil
	default:
		return errors.New("rule params: unexpected type")
	}
	*p = RuleParams{}
	return json.Unmarshal(b, p)
}

// RuleInput is a rule as an admin writes it.
type RuleInput struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Kind        string     `json:"kind"`
	Patterns    []string   `json:"patterns"`
	Exceptions  []string   `json:"exceptions"`
	Params      RuleParams `json:"params"`
	Action      string     `json:"action"`
	Enabled     *bool      `json:"enabled"` // nil: enabled
}

// Limits of a rule's fields.
const (
	ruleNameMax        = 80
	ruleDescriptionMax = 2000
	rulePatternMax     = 100   // runes in one watched word or phrase
	rulePatternsMax    = 20000 // watched words in one rule
	ruleDomainsMax     = 5000
)

// normalize validates in and returns the rule it describes: names and
// descriptions normalised, patterns trimmed and deduplicated, domains
// lower-cased. Errors name the field at fault.
func (in RuleInput) normalize() (*Rule, error) {
	name, err := Normalize(in.Name, "name", TextLimits{MinRunes: 1, MaxRunes: ruleNameMax})
	if err != nil {
		return nil, err
	}
	desc, err := Normalize(in.Description, "description", TextLimits{MaxRunes: ruleDescriptionMax})
	if err != nil {
		return nil, err
	}
	r := &Rule{Name: name, Description: desc, Kind: in.Kind, Action: in.Action, Enabled: in.Enabled == nil || *in.Enabled}
	if !slices.Contains(RuleKinds, r.Kind) {
		return nil, forum.Errorf(forum.EINVALID, "rules.kind_invalid", nil).OnField("kind")
	}
	if !slices.Contains(RuleActions, r.Action) {
		return nil, forum.Errorf(forum.EINVALID, "rules.action_invalid", nil).OnField("action")
	}
	if r.Action == ActionCensor && r.Kind != KindWords {
		return nil, forum.Errorf(forum.EINVALID, "rules.censor_words_only", nil).OnField("action")
	}
	r.Patterns, r.Exceptions = pq.StringArray{}, pq.StringArray{}
	if r.Kind == KindWords {
		if r.Patterns, err = normalizePatterns(in.Patterns); err != nil {
			return nil, err
		}
		if r.Exceptions, err = normalizeWordList(in.Exceptions, "exceptions"); err != nil {
			return nil, err
		}
	}
	if r.Kind == KindLinks {
		if r.Params, err = normalizeLinkParams(in.Params); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// normalizePatterns checks a words rule's patterns: at least one, each
// with a letter or a digit, none too long.
func normalizePatterns(in []string) (pq.StringArray, error) {
	out, err := normalizeWordList(in, "patterns")
	if err == nil && len(out) == 0 {
		return nil, forum.Errorf(forum.EINVALID, "rules.patterns_required", nil).OnField("patterns")
	}
	return out, err
}

// normalizeWordList checks a list of watched words or exceptions (field):
// each with a letter or a digit, none too long; empty lines and repeats
// are dropped.
func normalizeWordList(in []string, field string) (pq.StringArray, error) {
	if len(in) > rulePatternsMax {
		return nil, forum.Errorf(forum.ETOOLARGE, "rules.too_many_patterns", map[string]any{"Max": rulePatternsMax}).OnField(field)
	}
	out := make(pq.StringArray, 0, len(in))
	seen := map[string]bool{}
	for _, p := range in {
		p, err := Normalize(p, field, TextLimits{MaxRunes: rulePatternMax})
		if err != nil {
			return nil, err
		}
		p = strings.Join(strings.Fields(p), " ")
		if p == "" || seen[p] {
			continue
		}
		if !strings.ContainsFunc(p, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			return nil, forum.Errorf(forum.EINVALID, "rules.pattern_no_letter", map[string]any{"Pattern": p}).OnField(field)
		}
		seen[p] = true
		out = append(out, p)
	}
	return out, nil
}

// normalizeLinkParams lower-cases and checks the domain lists of a links
// rule, which must do something: block domains or limit links.
func normalizeLinkParams(in RuleParams) (RuleParams, error) {
	out := RuleParams{Limit: in.Limit}
	var err error
	if out.BlockDomains, err = normalizeDomains(in.BlockDomains, "block_domains"); err != nil {
		return out, err
	}
	if out.AllowDomains, err = normalizeDomains(in.AllowDomains, "allow_domains"); err != nil {
		return out, err
	}
	if !out.Limit && len(out.BlockDomains) == 0 {
		return out, forum.Errorf(forum.EINVALID, "rules.links_nothing", nil).OnField("block_domains")
	}
	return out, nil
}

func normalizeDomains(in []string, field string) ([]string, error) {
	if len(in) > ruleDomainsMax {
		return nil, forum.Errorf(forum.ETOOLARGE, "rules.too_many_domains", map[string]any{"Max": ruleDomainsMax}).OnField(field)
	}
	var out []string
	for _, d := range in {
		d = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "*."), ".")
		if d == "" {
			continue
		}
		if !validDomain(d) {
			return nil, forum.Errorf(forum.EINVALID, "rules.domain_invalid", map[string]any{"Domain": d}).OnField(field)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// validDomain accepts host names: labels of letters, digits and hyphens
// (any script: IDN are compared as written), separated by dots.
func validDomain(d string) bool {
	if len(d) > 253 || !utf8.ValidString(d) {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// actionStrength orders actions: the strongest hit decides the verdict.
func actionStrength(action string) int {
	switch action {
	case ActionBlock:
		return 4
	case ActionHold:
		return 3
	case ActionFlag:
		return 2
	case ActionCensor:
		return 1
	}
	return 0
}
