package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/moderation"
)

// The rules API (admins): the rules of every kind the pipeline knows,
// the tester and the impact preview. Permissions are checked by the
// moderation package.

func (s *Server) apiRules(c *gin.Context) {
	rules, err := s.pipeline.ListRules(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if rules == nil {
		rules = []*moderation.Rule{}
	}
	c.JSON(http.StatusOK, gin.H{"rules": rules})
}

func (s *Server) apiRule(c *gin.Context) {
	id, ok := s.pathID(c, "id", "rules.not_found")
	if !ok {
		return
	}
	r, err := s.pipeline.RuleByID(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rule": r})
}

func (s *Server) apiCreateRule(c *gin.Context) {
	var in moderation.RuleInput
	if !s.bindJSON(c, &in) {
		return
	}
	r, err := s.pipeline.CreateRule(c.Request.Context(), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"rule": r})
}

func (s *Server) apiUpdateRule(c *gin.Context) {
	id, ok := s.pathID(c, "id", "rules.not_found")
	if !ok {
		return
	}
	var in moderation.RuleInput
	if !s.bindJSON(c, &in) {
		return
	}
	r, err := s.pipeline.UpdateRule(c.Request.Context(), id, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rule": r})
}

func (s *Server) apiDeleteRule(c *gin.Context) {
	id, ok := s.pathID(c, "id", "rules.not_found")
	if !ok {
		return
	}
	if err := s.pipeline.DeleteRule(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiTestRules answers what the rules in force make of a text:
// {verdict, flagged, reasons, matches: [{rule, action, excerpt}]}, where
// verdict is the outcome (publish, publish_censored, hold, reject).
func (s *Server) apiTestRules(c *gin.Context) {
	var req struct {
		Text string `json:"text"`
	}
	if !s.bindJSON(c, &req) {
		return
	}
	res, err := s.pipeline.TestText(c.Request.Context(), req.Text)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"verdict": res.Verdict.Outcome, "flagged": res.Verdict.Flagged,
		"reasons": s.reasonsView(c, res.Verdict.Reasons), "matches": res.Matches})
}

// reasonsView gives each reason its message in the reader's language.
func (s *Server) reasonsView(c *gin.Context, reasons []moderation.Reason) []gin.H {
	lang := s.lang(c)
	out := make([]gin.H, len(reasons))
	for i, r := range reasons {
		out[i] = gin.H{"rule": r.Rule, "action": r.Action, "message": lang.Msg(r.Key, r.Args), "excerpt": r.Excerpt}
	}
	return out
}

// previewRequest is a draft rule (the fields of a rule), the id of the
// rule it would replace (0 for a new one) and how many recent posts to
// run it over.
type previewRequest struct {
	moderation.RuleInput
	ID   int64 `json:"id"`
	Last int   `json:"last"`
}

// defaultPreviewPosts is how many recent posts a preview looks at unless
// told otherwise.
const defaultPreviewPosts = 500

func (s *Server) apiPreviewRule(c *gin.Context) {
	var req previewRequest
	if !s.bindJSON(c, &req) {
		return
	}
	if req.Last == 0 {
		req.Last = defaultPreviewPosts
	}
	impact, err := s.pipeline.PreviewRule(c.Request.Context(), req.ID, req.RuleInput, req.Last)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, impact)
}

// apiImportWords imports watched words from CSV ("word,action" lines),
// sent as text/csv; nothing is imported when a line is wrong, and every
// wrong line is named.
func (s *Server) apiImportWords(c *gin.Context) {
	body, err := readAllLimited(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	res, err := s.pipeline.ImportWatchedWords(c.Request.Context(), body, s.importNames(c))
	if err != nil {
		if res != nil && len(res.Errors) > 0 {
			lang := s.lang(c)
			for i := range res.Errors {
				res.Errors[i].Message = lang.Msg(res.Errors[i].Key, res.Errors[i].Args)
			}
			fe := domainError(err)
			c.AbortWithStatusJSON(statusOf[fe.Code], gin.H{"error": apiErrorBody{Code: fe.Code, Message: lang.Msg(fe.Key, fe.Args), Field: fe.Field}, "lines": res.Errors})
			return
		}
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// apiExportWords answers the watched words as CSV.
func (s *Server) apiExportWords(c *gin.Context) {
	s.exportWords(c)
}
