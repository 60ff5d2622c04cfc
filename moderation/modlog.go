package moderation

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/palabre/palabre/forum"
)

// LogLine is one line of the moderation log as moderators read it.
type LogLine struct {
	ID         int64           `db:"id" json:"id"`
	At         time.Time       `db:"at" json:"at"`
	ActorID    *int64          `db:"actor_id" json:"-"`
	ActorName  *string         `db:"actor_name" json:"-"`
	Action     string          `db:"action" json:"action"`
	TargetType string          `db:"target_type" json:"-"`
	TargetID   *int64          `db:"target_id" json:"-"`
	Reason     string          `db:"reason" json:"reason"`
	BeforeRaw  []byte          `db:"before" json:"-"`
	AfterRaw   []byte          `db:"after" json:"-"`
	Before     json.RawMessage `db:"-" json:"before,omitempty"`
	After      json.RawMessage `db:"-" json:"after,omitempty"`
	// TargetName names the target (a member, a thread, a category, a
	// rule); CategoryName the category a line's details cite.
	TargetName   *string `db:"target_name" json:"-"`
	CategoryName *string `db:"category_name" json:"-"`

	Actor  *NamedMember `db:"-" json:"actor"` // nil: the system (a rule, a job)
	Target LogTarget    `db:"-" json:"target"`
	// Text is the line in words, in the reader's language (set by the
	// server, from Sentence).
	Text string `db:"-" json:"text,omitempty"`
}

// LogTarget is what a log line is about.
type LogTarget struct {
	Type string `json:"type"`
	ID   *int64 `json:"id"`
}

// LogFilter narrows the log; zero values mean "any".
type LogFilter struct {
	Actor      string // a username, or "system"
	Action     string // an action ("member.silence") or a family ("member.")
	TargetType string
	TargetID   int64
	From, To   *time.Time
	Before     int64 // keyset: lines older than this id
	Limit      int   // 200 at most
}

const selectLog = `
SELECT l.id, l.at, l.actor_id, m.username AS actor_name, l.action, l.target_type, l.target_id, l.reason,
	l.before, l.after,
	CASE l.target_type
		WHEN 'member' THEN (SELECT username FROM members WHERE id = l.target_id)
		WHEN 'thread' THEN (SELECT title FROM threads WHERE id = l.target_id)
		WHEN 'category' THEN coalesce((SELECT name FROM categories WHERE id = l.target_id), l.before->>'name')
		WHEN 'rule' THEN coalesce((SELECT name FROM rules WHERE id = l.target_id), l.before->>'name', l.after->>'name')
	END AS target_name,
	CASE WHEN jsonb_typeof(l.after) = 'object' AND l.after->>'category_id' ~ '^[0-9]{1,18}$' THEN
		(SELECT name FROM categories WHERE id = (l.after->>'category_id')::bigint) END AS category_name
FROM mod_log l LEFT JOIN members m ON m.id = l.actor_id
WHERE ($1 = '' OR ($1 = 'system' AND l.actor_id IS NULL) OR m.username = $1)
	AND ($2 = '' OR l.action = $2 OR (right($2, 1) = '.' AND starts_with(l.action, $2)))
	AND ($3 = '' OR l.target_type = $3)
	AND ($4 = 0 OR l.target_id = $4)
	AND ($5::timestamptz IS NULL OR l.at >= $5)
	AND ($6::timestamptz IS NULL OR l.at < $6)
	AND ($7 = 0 OR l.id < $7)
ORDER BY l.id DESC
LIMIT $8`

// LogPage is a page of the log, newest first.
type LogPage struct {
	Lines []LogLine
	Next  int64 // Before of the next page, 0 at the end
}

// ModLog reads the moderation log (staff only), newest first.
func (p *Pipeline) ModLog(ctx context.Context, f LogFilter) (*LogPage, error) {
	if err := forum.RequireStaff(ctx); err != nil {
		return nil, err
	}
	return p.readLog(ctx, f)
}

func (p *Pipeline) readLog(ctx context.Context, f LogFilter) (*LogPage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 200
	}
	lines := []LogLine{}
	err := p.db.SelectContext(ctx, &lines, selectLog, strings.TrimSpace(f.Actor), strings.TrimSpace(f.Action),
		strings.TrimSpace(f.TargetType), f.TargetID, f.From, f.To, f.Before, f.Limit+1)
	if err != nil {
		return nil, forum.Internal("reading the moderation log", err)
	}
	page := &LogPage{Lines: lines}
	if len(lines) > f.Limit {
		page.Lines = lines[:f.Limit]
		page.Next = page.Lines[f.Limit-1].ID
	}
	for i := range page.Lines {
		l := &page.Lines[i]
		if l.ActorID != nil && l.ActorName != nil {
			l.Actor = &NamedMember{ID: *l.ActorID, Username: *l.ActorName}
		}
		l.Target = LogTarget{Type: l.TargetType, ID: l.TargetID}
		l.Before, l.After = l.BeforeRaw, l.AfterRaw
	}
	return page, nil
}

// PublicLogLine is a line of the transparency page: what was done, never by
// whom; members are not named, and what was said to them stays private.
type PublicLogLine struct {
	At         time.Time `json:"at"`
	Sentence   Sentence  `json:"-"`
	Text       string    `json:"text,omitempty"` // Sentence said (by the server)
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   *int64    `json:"target_id,omitempty"`
	Reason     string    `json:"reason,omitempty"`
}

// PublicModLog is the transparency page, when the setting public_mod_log
// opens it (ENOTFOUND otherwise).
func (p *Pipeline) PublicModLog(ctx context.Context, before int64) ([]PublicLogLine, int64, error) {
	s, err := p.db.Settings(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !s.PublicModLog {
		return nil, 0, forum.Errorf(forum.ENOTFOUND, "error.not_found", nil)
	}
	page, err := p.readLog(ctx, LogFilter{Before: before, Limit: 100})
	if err != nil {
		return nil, 0, err
	}
	out := make([]PublicLogLine, 0, len(page.Lines))
	for _, l := range page.Lines {
		pl := PublicLogLine{At: l.At, Action: l.Action, TargetType: l.TargetType, Sentence: l.Sentence(true)}
		switch l.TargetType {
		case "post", "thread", "category", "rule":
			pl.TargetID, pl.Reason = l.TargetID, l.Reason
		}
		out = append(out, pl)
	}
	return out, page.Next, nil
}

// ExportModLog writes the lines the filter selects as CSV (staff only),
// newest first, up to 100 000 lines.
func (p *Pipeline) ExportModLog(ctx context.Context, f LogFilter, w io.Writer) error {
	if err := forum.RequireStaff(ctx); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "actor", "action", "target_type", "target_id", "reason", "before", "after"})
	f.Before = 0
	for total := 0; total < 100000; {
		f.Limit = 200
		page, err := p.readLog(ctx, f)
		if err != nil {
			return err
		}
		for _, l := range page.Lines {
			actor, target := "system", ""
			if l.ActorName != nil {
				actor = *l.ActorName
			}
			if l.TargetID != nil {
				target = strconv.FormatInt(*l.TargetID, 10)
			}
			cw.Write([]string{strconv.FormatInt(l.ID, 10), l.At.UTC().Format(time.RFC3339), csvCell(actor),
				csvCell(l.Action), csvCell(l.TargetType), target, csvCell(l.Reason), csvCell(string(l.Before)), csvCell(string(l.After))})
		}
		total += len(page.Lines)
		if page.Next == 0 {
			break
		}
		f.Before = page.Next
	}
	cw.Flush()
	return cw.Error()
}

// csvCell defuses formulas: a spreadsheet must not run what a member
// typed (a cell starting with = + - @ is prefixed with an apostrophe).
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
