package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// Drafts kept on the server (forum/draft.go): the composer saves what the
// member types and brings it back on another device. A thread's draft is
// the reply to it; /drafts/new is the new thread's.

// draftThread reads which draft a route is about: the thread of
// /threads/:id/draft, or 0 for /drafts/new.
func (s *Server) draftThread(c *gin.Context) (int64, bool) {
	if c.Param("id") == "" {
		return 0, true
	}
	return s.pathID(c, "id", "thread.not_found")
}

// apiDrafts lists the member's drafts, the latest first.
func (s *Server) apiDrafts(c *gin.Context) {
	drafts, err := s.db.Drafts(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"drafts": drafts})
}

// apiDraft answers the member's draft, null when there is none.
func (s *Server) apiDraft(c *gin.Context) {
	thread, ok := s.draftThread(c)
	if !ok {
		return
	}
	d, err := s.db.DraftOf(c.Request.Context(), thread)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"draft": d})
}

// apiSaveDraft keeps the member's draft; an empty one is deleted (the
// answer's draft is then null).
func (s *Server) apiSaveDraft(c *gin.Context) {
	thread, ok := s.draftThread(c)
	if !ok {
		return
	}
	var in forum.DraftInput
	if !s.bindJSON(c, &in) {
		return
	}
	d, err := s.db.SaveDraft(c.Request.Context(), thread, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"draft": d})
}

// apiDeleteDraft forgets the member's draft.
func (s *Server) apiDeleteDraft(c *gin.Context) {
	thread, ok := s.draftThread(c)
	if !ok {
		return
	}
	if err := s.db.DeleteDraft(c.Request.Context(), thread); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiSuggestMentions offers the members the composer may complete "@…"
// with: ?q= what follows the @, ?thread= the thread being answered (its
// writers first).
func (s *Server) apiSuggestMentions(c *gin.Context) {
	thread, err := strconv.ParseInt(c.DefaultQuery("thread", "0"), 10, 64)
	if err != nil || thread < 0 {
		s.fail(c, forum.Errorf(forum.EINVALID, "mention.thread_invalid", nil).OnField("thread"))
		return
	}
	members, err := s.db.SuggestMentions(c.Request.Context(), c.Query("q"), thread)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"members": members})
}
