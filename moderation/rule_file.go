package moderation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// RuleFileVersion is the format of RuleFile; a file of another version is
// refused rather than half understood.
const RuleFileVersion = 1

// RuleFile is a community's rules as a file: what an operator keeps beside
// a backup or moves to another forum (`palabre admin export-rules`,
// `import-rules`). Rules are named: a rule of the file replaces the rule of
// the same name (case aside), or is added.
type RuleFile struct {
	Version int         `json:"version"`
	Rules   []RuleInput `json:"rules"`
}

// ExportRules returns every rule, enabled or not, as a RuleFile (admins
// only).
func (p *Pipeline) ExportRules(ctx context.Context) (*RuleFile, error) {
	rules, err := p.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	out := &RuleFile{Version: RuleFileVersion, Rules: make([]RuleInput, 0, len(rules))}
	for _, r := range rules {
		enabled := r.Enabled
		out.Rules = append(out.Rules, RuleInput{Name: r.Name, Description: r.Description, Kind: r.Kind,
			Patterns: nonNil(r.Patterns), Exceptions: nonNil(r.Exceptions), Params: r.Params, Action: r.Action, Enabled: &enabled})
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RuleImport says what ImportRules did.
type RuleImport struct {
	Created, Replaced, Unchanged int
}

// ImportRules adds the rules of the file and replaces those of the same
// name, all in one transaction: a file with one invalid rule changes
// nothing, and the error names the rule (field "rules[i].name"). Rules the
// file does not name stay as they are. Each change is logged (rule.import),
// and every instance applies the rules within a second. Admins only.
func (p *Pipeline) ImportRules(ctx context.Context, f RuleFile) (*RuleImport, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if f.Version != RuleFileVersion {
		return nil, forum.Errorf(forum.EINVALID, "rules.file_version", map[string]any{"Version": RuleFileVersion}).OnField("version")
	}
	rules := make([]*Rule, len(f.Rules))
	seen := map[string]bool{}
	for i, in := range f.Rules {
		r, err := in.normalize()
		if err != nil {
			fe := forum.AsError(err)
			return nil, forum.Errorf(fe.Code, fe.Key, fe.Args).OnField(fmt.Sprintf("rules[%d].%s", i, fe.Field))
		}
		key := strings.ToLower(r.Name)
		if seen[key] {
			return nil, forum.Errorf(forum.ECONFLICT, "rules.name_taken", nil).OnField(fmt.Sprintf("rules[%d].name", i))
		}
		seen[key] = true
		rules[i] = r
	}
	out := &RuleImport{}
	err := p.changeRules(ctx, func(tx *sqlx.Tx) error {
		for _, r := range rules {
			var before Rule
			err := tx.GetContext(ctx, &before, `SELECT `+ruleColumns+` FROM rules WHERE lower(name) = lower($1) FOR UPDATE`, r.Name)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				var created Rule
				if err := tx.GetContext(ctx, &created, insertRule, r.Name, r.Description, r.Kind, r.Patterns, r.Params, r.Action, r.Enabled, actorID(ctx), r.Exceptions); err != nil {
					return ruleWriteError(err, "importing a rule")
				}
				out.Created++
				if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleImport, TargetType: "rule", TargetID: &created.ID, After: &created}); err != nil {
					return err
				}
				continue
			case err != nil:
				return forum.Internal("reading a rule", err)
			}
			if sameRule(&before, r) {
				out.Unchanged++
				continue
			}
			var after Rule
			if err := tx.GetContext(ctx, &after, updateRule, before.ID, r.Name, r.Description, r.Kind, r.Patterns, r.Params, r.Action, r.Enabled, actorID(ctx), r.Exceptions); err != nil {
				return ruleWriteError(err, "importing a rule")
			}
			out.Replaced++
			if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleImport, TargetType: "rule", TargetID: &before.ID, Before: &before, After: &after}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sameRule reports whether the stored rule a already says what b says.
func sameRule(a, b *Rule) bool {
	return a.Name == b.Name && a.Description == b.Description && a.Kind == b.Kind && a.Action == b.Action &&
		a.Enabled == b.Enabled && slices.Equal(a.Patterns, b.Patterns) && slices.Equal(a.Exceptions, b.Exceptions) &&
		sameJSON(a.Params, b.Params)
}

// sameJSON compares two values as they are stored (jsonb), where an empty
// list and no list are the same.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
