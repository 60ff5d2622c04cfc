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

// WatchedWord lines in CSV: "word,action[,exception]", one a line, as
// admins import and export them (a spreadsheet opens them). A first line
// "word,action" or "word,action,exception" is a header. A line whose third
// field is "yes" is an exception: a word or phrase that the words rules of
// that action never match.

// WordLine is one watched word, or an exception, with the action of its
// rule.
type WordLine struct {
	Word      string `json:"word"`
	Action    string `json:"action"`
	Exception bool   `json:"exception,omitempty"`
}

// exceptionField is the third field of an exception's line.
const exceptionField = "yes"

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
		for _, w := range r.Exceptions {
			l := WordLine{Word: w, Action: r.Action, Exception: true}
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
		if a.Exception != b.Exception {
			return b2i(a.Exception) - b2i(b.Exception)
		}
		return strings.Compare(a.Word, b.Word)
	})
	return out, nil
}

// WriteWordsCSV writes lines as CSV, with a header.
func WriteWordsCSV(w io.Writer, lines []WordLine) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"word", "action", "exception"})
	for _, l := range lines {
		exception := ""
		if l.Exception {
			exception = exceptionField
		}
		cw.Write([]string{l.Word, l.Action, exception})
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
	// Exceptions counts the exceptions added (to every words rule of
	// their action).
	Exceptions int         `json:"exceptions"`
	Errors     []LineError `json:"errors,omitempty"`
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
		if first && (len(rec) == 2 || len(rec) == 3) && strings.EqualFold(strings.TrimSpace(rec[0]), "word") && strings.EqualFold(strings.TrimSpace(rec[1]), "action") {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 2 && len(rec) != 3 {
			bad(line, "admin.import_fields", map[string]any{"Count": len(rec)})
			continue
		}
		exception := false
		if len(rec) == 3 {
			switch strings.ToLower(strings.TrimSpace(rec[2])) {
			case "", "no":
			case exceptionField:
				exception = true
			default:
				bad(line, "admin.import_exception", map[string]any{"Value": rec[2]})
				continue
			}
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
		lines = append(lines, WordLine{Word: words[0], Action: action, Exception: exception})
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
	byAction, exceptions := map[string][]string{}, map[string][]string{}
	for _, l := range lines {
		if l.Exception {
			exceptions[l.Action] = append(exceptions[l.Action], l.Word)
			continue
		}
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
		for _, action := range RuleActions {
			if len(exceptions[action]) == 0 {
				continue
			}
			n, err := importExceptions(ctx, tx, action, exceptions[action])
			if err != nil {
				return err
			}
			out.Exceptions += n
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

// importExceptions adds the exceptions to every words rule of action (the
// import's own rule included), and returns how many it added; an action
// without a words rule refuses them.
func importExceptions(ctx context.Context, tx *sqlx.Tx, action string, words []string) (int, error) {
	var rules []*Rule
	if err := tx.SelectContext(ctx, &rules, `SELECT `+ruleColumns+` FROM rules WHERE kind = 'words' AND action = $1 ORDER BY id FOR UPDATE`, action); err != nil {
		return 0, forum.Internal("reading the rules", err)
	}
	if len(rules) == 0 {
		return 0, forum.Errorf(forum.EINVALID, "admin.import_exception_no_rule", map[string]any{"Action": action}).OnField("csv")
	}
	added := 0
	for _, r := range rules {
		before := *r
		exceptions := slices.Clone([]string(r.Exceptions))
		for _, w := range words {
			if !slices.Contains(exceptions, w) {
				exceptions = append(exceptions, w)
			}
		}
		if len(exceptions) == len(r.Exceptions) {
			continue
		}
		if len(exceptions) > rulePatternsMax {
			return 0, forum.Errorf(forum.ETOOLARGE, "rules.too_many_patterns", map[string]any{"Max": rulePatternsMax}).OnField("csv")
		}
		added += len(exceptions) - len(r.Exceptions)
		var after Rule
		err := tx.GetContext(ctx, &after, `UPDATE rules SET exceptions = $2, updated_at = now(), updated_by = $3 WHERE id = $1 RETURNING `+ruleColumns,
			r.ID, pq.StringArray(exceptions), actorID(ctx))
		if err != nil {
			return 0, forum.Internal("importing exceptions", err)
		}
		if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogRuleImport, TargetType: "rule", TargetID: &r.ID, Before: &before, After: &after}); err != nil {
			return 0, err
		}
	}
	return added, nil
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
