package server

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// The rules editor (admins): a list, one form for every kind of rule with
// an impact preview before saving, watched words in CSV, and the tester.

var ruleFields = []string{"name", "description", "kind", "action", "enabled", "patterns", "exceptions", "block_domains", "allow_domains", "limit", "last"}

type adminRulesPage struct {
	Rules    []*moderation.Rule
	Activity map[int64]int // review items sent in 30 days, by rule
	Notice   string
}

// htmlAdminRules lists the rules.
func (s *Server) htmlAdminRules(c *gin.Context) {
	rules, err := s.pipeline.ListRules(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	activity, err := s.pipeline.RuleActivity(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	page := adminRulesPage{Rules: rules, Activity: activity}
	if done := c.Query("done"); done == "created" || done == "updated" || done == "deleted" || done == "enabled" || done == "disabled" {
		key := "admin.rule_done_" + done
		page.Notice = s.lang(c).T(key)
	}
	s.render(c, http.StatusOK, "admin_rules", s.lang(c).T("admin.rules_title"), page)
}

type adminRulePage struct {
	ID      int64 // 0 for a new rule
	Form    *Form
	Kinds   []string
	Actions []string
	Impact  *moderation.Impact
}

func ruleForm(r *moderation.Rule) *Form {
	f := &Form{Values: map[string]string{
		"name": r.Name, "description": r.Description, "kind": r.Kind, "action": r.Action,
		"patterns":      strings.Join(r.Patterns, "\n"),
		"exceptions":    strings.Join(r.Exceptions, "\n"),
		"block_domains": strings.Join(r.Params.BlockDomains, "\n"),
		"allow_domains": strings.Join(r.Params.AllowDomains, "\n"),
		"last":          strconv.Itoa(defaultPreviewPosts),
	}, Errors: map[string]string{}}
	if r.Enabled {
		f.Values["enabled"] = "1"
	}
	if r.Params.Limit {
		f.Values["limit"] = "1"
	}
	return f
}

// ruleInputFrom reads the rule form: one word, phrase or domain a line.
func ruleInputFrom(f *Form) moderation.RuleInput {
	lines := func(name string) []string {
		var out []string
		for l := range strings.SplitSeq(f.Get(name), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	enabled := f.Get("enabled") == "1"
	return moderation.RuleInput{
		Name: f.Get("name"), Description: f.Get("description"), Kind: f.Get("kind"), Action: f.Get("action"),
		Patterns: lines("patterns"), Exceptions: lines("exceptions"), Enabled: &enabled,
		Params: moderation.RuleParams{BlockDomains: lines("block_domains"), AllowDomains: lines("allow_domains"), Limit: f.Get("limit") == "1"},
	}
}

func (s *Server) renderRuleForm(c *gin.Context, status int, page adminRulePage) {
	page.Kinds, page.Actions = moderation.RuleKinds, moderation.RuleActions
	title := s.lang(c).T("admin.rule_new_title")
	if page.ID != 0 {
		title = page.Form.Get("name")
	}
	s.render(c, status, "admin_rule", title, page)
}

// htmlAdminNewRule shows an empty rule form (?kind= chooses the kind).
func (s *Server) htmlAdminNewRule(c *gin.Context) {
	if err := forum.RequireAdmin(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	kind := c.Query("kind")
	if kind == "" {
		kind = moderation.KindWords
	}
	f := ruleForm(&moderation.Rule{Kind: kind, Action: moderation.ActionHold, Enabled: true})
	s.renderRuleForm(c, http.StatusOK, adminRulePage{Form: f})
}

// htmlAdminRule shows a rule's form.
func (s *Server) htmlAdminRule(c *gin.Context) {
	id, ok := s.pathID(c, "id", "rules.not_found")
	if !ok {
		return
	}
	r, err := s.pipeline.RuleByID(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderRuleForm(c, http.StatusOK, adminRulePage{ID: id, Form: ruleForm(r)})
}

// htmlAdminCreateRule saves a new rule, or previews its impact when the
// preview button was pressed.
func (s *Server) htmlAdminCreateRule(c *gin.Context) { s.saveRuleForm(c, 0) }

// htmlAdminUpdateRule saves a rule, or previews the change's impact.
func (s *Server) htmlAdminUpdateRule(c *gin.Context) {
	id, ok := s.pathID(c, "id", "rules.not_found")
	if !ok {
		return
	}
	s.saveRuleForm(c, id)
}

func (s *Server) saveRuleForm(c *gin.Context, id int64) {
	ctx := c.Request.Context()
	f := readForm(c, ruleFields...)
	in := ruleInputFrom(f)
	page := adminRulePage{ID: id, Form: f}
	if c.PostForm("op") == "preview" {
		last := defaultPreviewPosts
		if v := strings.TrimSpace(f.Get("last")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				f.Errors["last"] = s.lang(c).T("admin.settings_not_a_number")
				s.renderRuleForm(c, http.StatusBadRequest, page)
				return
			}
			last = n
		}
		impact, err := s.pipeline.PreviewRule(ctx, id, in, last)
		if err != nil {
			s.ruleFormError(c, page, err, "last")
			return
		}
		page.Impact = impact
		s.renderRuleForm(c, http.StatusOK, page)
		return
	}
	var err error
	done := "updated"
	if id == 0 {
		done = "created"
		_, err = s.pipeline.CreateRule(ctx, in)
	} else {
		_, err = s.pipeline.UpdateRule(ctx, id, in)
	}
	if err != nil {
		s.ruleFormError(c, page, err, "")
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/rules?done="+done)
}

// ruleFormError shows a refused form again, as typed; errors without a
// field of the form go to fallback (or the whole form).
func (s *Server) ruleFormError(c *gin.Context, page adminRulePage, err error, fallback string) {
	switch forum.ErrorCode(err) {
	case forum.EUNAUTHORIZED, forum.EFORBIDDEN, forum.ENOTFOUND:
		s.fail(c, err)
		return
	}
	fe := domainError(err)
	if fallback != "" && fe.Field == "" {
		err = fe.OnField(fallback)
	}
	status := s.setError(c, page.Form, err)
	s.renderRuleForm(c, status, page)
}

// htmlAdminToggleRule enables or disables a rule without touching the rest.
func (s *Server) htmlAdminToggleRule(c *gin.Context) {
	id, ok := s.pathID(c, "id", "rules.not_found")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	r, err := s.pipeline.RuleByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	enabled := !r.Enabled
	in := moderation.RuleInput{Name: r.Name, Description: r.Description, Kind: r.Kind, Patterns: r.Patterns, Exceptions: r.Exceptions,
		Params: r.Params, Action: r.Action, Enabled: &enabled}
	if _, err := s.pipeline.UpdateRule(ctx, id, in); err != nil {
		s.fail(c, err)
		return
	}
	done := "disabled"
	if enabled {
		done = "enabled"
	}
	c.Redirect(http.StatusSeeOther, "/admin/rules?done="+done)
}

func (s *Server) htmlAdminDeleteRule(c *gin.Context) {
	id, ok := s.pathID(c, "id", "rules.not_found")
	if !ok {
		return
	}
	if err := s.pipeline.DeleteRule(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/rules?done=deleted")
}

// exportWords answers the watched words as a CSV download.
func (s *Server) exportWords(c *gin.Context) {
	lines, err := s.pipeline.ExportWatchedWords(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := moderation.WriteWordsCSV(&buf, lines); err != nil {
		s.fail(c, forum.Internal("writing CSV", err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="watched-words.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// importNames names the rules that receive imported words, in the admin's
// language.
func (s *Server) importNames(c *gin.Context) moderation.ImportRuleNames {
	lang := s.lang(c)
	n := moderation.ImportRuleNames{Name: map[string]string{}, Description: lang.T("admin.import_rule_description")}
	for _, a := range moderation.RuleActions {
		action := "admin.action_" + a
		n.Name[a] = lang.T("admin.import_rule_name", "Action", lang.T(action))
	}
	return n
}

type adminWordsPage struct {
	Form   *Form
	Lines  []moderation.LineError
	Result *moderation.WordImport
}

func (s *Server) htmlAdminWordsForm(c *gin.Context) {
	if err := forum.RequireAdmin(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_rules_words", s.lang(c).T("admin.words_title"),
		adminWordsPage{Form: &Form{Values: map[string]string{}, Errors: map[string]string{}}})
}

// htmlAdminImportWords imports a CSV file or the text pasted in the form;
// a refused import comes back with the text and each wrong line named.
func (s *Server) htmlAdminImportWords(c *gin.Context) {
	f := readForm(c, "csv")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		file, err := fh.Open()
		if err == nil {
			b, rerr := io.ReadAll(file)
			file.Close()
			if rerr == nil {
				f.Values["csv"] = string(b)
			}
		}
	}
	res, err := s.pipeline.ImportWatchedWords(c.Request.Context(), f.Get("csv"), s.importNames(c))
	page := adminWordsPage{Form: f, Result: res}
	if err != nil {
		switch forum.ErrorCode(err) {
		case forum.EUNAUTHORIZED, forum.EFORBIDDEN:
			s.fail(c, err)
			return
		}
		status := s.setError(c, f, err)
		if res != nil {
			lang := s.lang(c)
			for i := range res.Errors {
				res.Errors[i].Message = lang.Msg(res.Errors[i].Key, res.Errors[i].Args)
			}
			page.Lines = res.Errors
			page.Result = nil
		}
		s.render(c, status, "admin_rules_words", s.lang(c).T("admin.words_title"), page)
		return
	}
	page.Form = &Form{Values: map[string]string{}, Errors: map[string]string{}}
	s.render(c, http.StatusOK, "admin_rules_words", s.lang(c).T("admin.words_title"), page)
}

// readAllLimited reads a request body (already limited by limitBody).
func readAllLimited(c *gin.Context) (string, error) {
	b, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
