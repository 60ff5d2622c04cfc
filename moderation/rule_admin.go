package moderation

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// WatchedWord lines in CSV: "word,action", one a line, as admins import
// and export them (a spreadsheet opens them). A first line "word,action"
// is a header.

// WordLine is one watched word with the action of its rule.
type WordLine struct {
	Word   string `json:"word"`
	Action string `json:"action"`
}

// ExportWatchedWords returns the watched words of every words rule with
// their rule's action, each (word, action) once, by action then word
// (admins only).
func (p *Pipeline) ExportWatchedWords(ctx context.Context) ([]WordLine, error) {
	rules, err := p.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[WordLine]bool{}
	out := []WordLine{}
	for _, r := range rules {
		if r.Kind != KindWords {
			continue
		}
		for _, w := range r.Patterns {
			l := WordLine{Word: w, Action: r.Action}
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	slices.SortFunc(out, func(a, b WordLine) int {
		if c := actionStrength(b.Action) - actionStrength(a.Action); c != 0 {
			return c
		}
		return strings.Compare(a.Word, b.Word)
	})
	return out, nil
}

// WriteWordsCSV writes lines as CSV, with a header.
func WriteWordsCSV(w io.Writer, lines []WordLine) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"word", "action"})
	for _, l := range lines {
		cw.Write([]string{l.Word, l.Action})
	}
	cw.Flush()
	return cw.Error()
}

// LineError is what is wrong with one line of an import.
type LineError struct {
	Line int            `json:"line"`
	Key  string         `json:"-"` // message key
	Args map[string]any `json:"-"`
	// Message is filled by the server, in the reader's language.
	Message string `json:"message"`
}

// WordImport is the outcome of an import: the words added by action, the
// words already watched with the same action, or, when any line is wrong,
// the errors and nothing imported.
type WordImport struct {
	Added   map[string]int `json:"added"`
	Skipped int            `json:"skipped"`
	Errors  []LineError    `json:"errors,omitempty"`
}

// ImportRuleNames names the words rule that receives the imported words of
// each action when there is none yet, with the description members read;
// the server gives them in the admin's language.
type ImportRuleNames struct {
	Name        map[string]string // action → rule name
	Description string
}

// Limits of an import.
const importMaxLines = rulePatternsMax

// ParseWordsCSV reads "word,action" lines, validating every one; the
// errors name their line numbers.
func ParseWordsCSV(text string) ([]WordLine, []LineError) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	var lines []WordLine
	var errs []LineError
	bad := func(line int, key string, args map[string]any) {
		errs = append(errs, LineError{Line: line, Key: key, Args: args})
	}
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			bad(line, "admin.import_unreadable", nil)
			if pe == nil || len(errs) > 100 {
				break
			}
			continue
		}
		if first && len(rec) == 2 && strings.EqualFold(strings.TrimSpace(rec[0]), "word") && strings.EqualFold(strings.TrimSpace(rec[1]), "action") {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 2 {
			bad(line, "admin.import_fields", map[string]any{"Count": len(rec)})
			continue
		}
		action := strings.ToLower(strings.TrimSpace(rec[1]))
		if !slices.Contains(RuleActions, action) {
			bad(line, "admin.import_action", map[string]any{"Action": rec[1]})
			continue
		}
		words, err := normalizePatterns([]string{rec[0]})
		if err != nil {
			fe := forum.AsError(err)
			bad(line, fe.Key, fe.Args)
			continue
		}
		lines = append(lines, WordLine{Word: words[0], Action: action})
	}
	if len(lines) > importMaxLines {
		bad(importMaxLines+1, "admin.import_too_many", map[string]any{"Max": importMaxLines})
	}
	if len(lines) == 0 && len(errs) == 0 {
		bad(1, "admin.import_empty", nil)
	}
	return lines, errs
}

// ImportWatchedWords adds the words of a CSV text to the words rules, one
// rule per action: the rule named names.Name[action], created when it does
// not exist. Nothing is imported when any line is wrong: the result lists
// every error by line, and the error is EINVALID. Words already watched
// with the same action are skipped. Logged; every instance applies it
// within a second (admins only).
func (p *Pipeline) ImportWatchedWords(ctx context.Context, text string, names ImportRuleNames) (*WordImport, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	lines, errs := ParseWordsCSV(text)
	out := &WordImport{Added: map[string]int{}, Errors: errs}
	if len(errs) > 0 {
		return out, forum.Errorf(forum.EINVALID, "admin.import_refused", map[string]any{"Count": len(errs)}).OnField("csv")
	}
	byAction := map[string][]string{}
	for _, l := range lines {
		byAction[l.Action] = append(byAction[l.Action], l.Word)
	}
	err := p.changeRules(ctx, func(tx *sqlx.Tx) error {
		watched := map[WordLine]bool{}
		var existing []*Rule
		if err := tx.SelectContext(ctx, &existing, `SELECT `+ruleColumns+` FROM rules WHERE kind = 'words' FOR UPDATE`); err != nil {
			return forum.Internal("reading the rules", err)
		}
		for _, r := range existing {
			for _, w := range r.Patterns {
				watched[WordLine{Word: w, Action: r.Action}] = true
			}
		}
		for _, action := range RuleActions {
			var fresh []string
			for _, w := range byAction[action] {
				l := WordLine{Word: w, Action: action}
				if watched[l] {
					out.Skipped++
					continue
				}
				watched[l] = true
				fresh = append(fresh, w)
			}
			if len(fresh) == 0 {
				continue
			}
			if err := importIntoRule(ctx, tx, names, action, fresh); err != nil {
				return err
			}
			out.Added[action] = len(fresh)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// importIntoRule appends words to the import rule of action, creating it.
func importIntoRule(ctx context.Context, tx *sqlx.Tx, names ImportRuleNames, action string, words []string) error {
	name := names.Name[action]
	if name == "" {
		name = "Watched words (" + action + ")"
	}
	var r Rule
	err := tx.GetContext(ctx, &r, `SELECT `+ruleColumns+` FROM rules WHERE lower(name) = lower($1) FOR UPDATE`, name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		in := RuleInput{Name: name, Description: names.Description, Kind: KindWords, Action: action, Patterns: words}
		nr, err := in.normalize()
		if err != nil {
			return err
		}
		var created Rule
		if err := tx.GetContext(ctx, &created, insertRule, nr.Name, nr.Description, nr.Kind, nr.Patterns, nr.Params, nr.Action, nr.Enabled, actorID(ctx), nr.Exceptions); err != nil {
			return ruleWriteError(err, "creating a rule")
		}
		return forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleImport, TargetType: "rule", TargetID: &created.ID, After: &created})
	case err != nil:
		return forum.Internal("reading a rule", err)
	case r.Kind != KindWords || r.Action != action:
		return forum.Errorf(forum.ECONFLICT, "admin.import_rule_clash", map[string]any{"Name": name}).OnField("csv")
	}
	before := r
	patterns := append(slices.Clone([]string(r.Patterns)), words...)
	if len(patterns) > rulePatternsMax {
		return forum.Errorf(forum.ETOOLARGE, "rules.too_many_patterns", map[string]any{"Max": rulePatternsMax}).OnField("csv")
	}
	var after Rule
	err = tx.GetContext(ctx, &after, `UPDATE rules SET patterns = $2, updated_at = now(), updated_by = $3 WHERE id = $1 RETURNING `+ruleColumns,
		r.ID, pq.StringArray(patterns), actorID(ctx))
	if err != nil {
		return forum.Internal("importing watched words", err)
	}
	return forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleImport, TargetType: "rule", TargetID: &r.ID, Before: &before, After: &after})
}

// ruleActivity counts, per rule, the review items its hits sent to the
// moderators over the last 30 days (held and flagged posts: refused ones
// are never stored). Bounded by the items' creation index.
const ruleActivity = `
SELECT (r->'rule'->>'id')::bigint AS rule_id, count(DISTINCT ri.id) AS n
FROM review_items ri CROSS JOIN LATERAL jsonb_array_elements(ri.reasons) AS r
WHERE ri.created_at >= now() - interval '30 days' AND jsonb_typeof(ri.reasons) = 'array'
  AND (r->'rule'->>'id') ~ '^[0-9]+$'
GROUP BY 1`

// RuleActivity returns how many review items each rule sent to the
// moderators in the last 30 days (admins only).
func (p *Pipeline) RuleActivity(ctx context.Context) (map[int64]int, error) {
	if err := forum.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var rows []struct {
		RuleID int64 `db:"rule_id"`
		N      int   `db:"n"`
	}
	if err := p.db.SelectContext(ctx, &rows, ruleActivity); err != nil {
		return nil, forum.Internal("counting the rules' review items", err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.RuleID] = r.N
	}
	return out, nil
}
