package server

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// textSegment is a piece of the tested text; Mark is set on what a rule
// found. The template escapes every piece: highlighting never trusts the
// text.
type textSegment struct {
	Text string
	Mark bool
}

type testerMatch struct {
	moderation.Match
	Kind string
}

type adminTesterPage struct {
	Form     *Form
	Tested   bool
	Outcome  string
	Flagged  bool
	Reasons  []string // what the author would read
	Matches  []testerMatch
	Segments []textSegment
}

func (s *Server) htmlAdminTesterForm(c *gin.Context) {
	if err := forum.RequireAdmin(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_rules_test", s.lang(c).T("admin.tester_title"),
		adminTesterPage{Form: &Form{Values: map[string]string{}, Errors: map[string]string{}}})
}

// htmlAdminTester runs the pasted text through the rules in force.
func (s *Server) htmlAdminTester(c *gin.Context) {
	ctx := c.Request.Context()
	f := readForm(c, "text")
	page := adminTesterPage{Form: f}
	res, err := s.pipeline.TestText(ctx, f.Get("text"))
	if err != nil {
		switch forum.ErrorCode(err) {
		case forum.EUNAUTHORIZED, forum.EFORBIDDEN:
			s.fail(c, err)
			return
		}
		status := s.setError(c, f, forum.AsError(err).OnField("text"))
		s.render(c, status, "admin_rules_test", s.lang(c).T("admin.tester_title"), page)
		return
	}
	rules, err := s.pipeline.ListRules(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	kinds := map[int64]string{}
	for _, r := range rules {
		kinds[r.ID] = r.Kind
	}
	lang := s.lang(c)
	page.Tested, page.Outcome, page.Flagged = true, res.Verdict.Outcome, res.Verdict.Flagged
	for _, r := range res.Verdict.Reasons {
		page.Reasons = append(page.Reasons, lang.Msg(r.Key, r.Args))
	}
	var found []string
	for _, m := range res.Matches {
		k := kinds[m.Rule.ID]
		page.Matches = append(page.Matches, testerMatch{Match: m, Kind: k})
		if k == moderation.KindWords || k == moderation.KindLinks {
			found = append(found, m.Excerpt)
		}
	}
	page.Segments = highlight(f.Get("text"), found)
	s.render(c, http.StatusOK, "admin_rules_test", lang.T("admin.tester_title"), page)
}

// highlight cuts text into segments, marking every occurrence of the
// excerpts (the longest first when they overlap), case-insensitively for
// ASCII letters. Excerpts the rules found in a normalised form (another
// case of a non-ASCII letter, a look-alike) may not be found: the matches
// table lists them anyway.
func highlight(text string, excerpts []string) []textSegment {
	type span struct{ start, end int }
	var spans []span
	lower := strings.ToLower(text)
	sort.Slice(excerpts, func(i, j int) bool { return len(excerpts[i]) > len(excerpts[j]) })
	taken := make([]bool, len(text))
	for _, ex := range excerpts {
		ex = strings.ToLower(strings.TrimSpace(ex))
		if ex == "" || len(lower) != len(text) {
			continue
		}
		for from := 0; from < len(lower); {
			i := strings.Index(lower[from:], ex)
			if i < 0 {
				break
			}
			st, en := from+i, from+i+len(ex)
			free := true
			for k := st; k < en; k++ {
				free = free && !taken[k]
			}
			if free {
				for k := st; k < en; k++ {
					taken[k] = true
				}
				spans = append(spans, span{st, en})
			}
			from = en
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out []textSegment
	at := 0
	for _, sp := range spans {
		if sp.start > at {
			out = append(out, textSegment{Text: text[at:sp.start]})
		}
		out = append(out, textSegment{Text: text[sp.start:sp.end], Mark: true})
		at = sp.end
	}
	if at < len(text) {
		out = append(out, textSegment{Text: text[at:]})
	}
	return out
}
