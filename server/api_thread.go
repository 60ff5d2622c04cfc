package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// pathID reads a numeric path parameter; anything else is a 404 with the
// given message.
func (s *Server) pathID(c *gin.Context, name, notFoundKey string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, forum.Errorf(forum.ENOTFOUND, notFoundKey, nil))
		return 0, false
	}
	return id, true
}

// afterNumber reads ?after=N on a thread page (0 when absent).
func afterNumber(c *gin.Context) (int, error) {
	v := c.Query("after")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, forum.Errorf(forum.EINVALID, "post.after_invalid", nil).OnField("after")
	}
	return n, nil
}

// apiAuthor is a post's author as the API shows it.
type apiAuthor struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	// AvatarURL is their uploaded avatar, or their generated one
	// (/avatars/cN-INITIALS.svg), read with the post.
	AvatarURL string `json:"avatar_url,omitempty"`
}

// apiPost is a post as the API shows it (shared/API.md).
type apiPost struct {
	ID       int64      `json:"id"`
	ThreadID int64      `json:"thread_id"`
	Number   int        `json:"number"`
	Author   *apiAuthor `json:"author"`
	ReplyTo  *int       `json:"reply_to,omitempty"`
	HTML     string     `json:"html"`
	Status   string     `json:"status"`
	Redacted bool       `json:"redacted,omitempty"`
	// RemovedBy says who removed a deleted post: "author" or "moderator";
	// RemovedRule is the rule a moderator cited.
	RemovedBy   string     `json:"removed_by,omitempty"`
	RemovedRule string     `json:"removed_rule,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	EditedAt    *time.Time `json:"edited_at,omitempty"`
	EditCount   int        `json:"edit_count"`
	LikeCount   int        `json:"like_count"`
	Liked       bool       `json:"liked"`
}

func toAPIPost(p *forum.Post) apiPost {
	return pagePost(p, &pageAvatars{side: jsonAvatarSide}, new(apiAuthor))
}

// pagePost is a post of a page of posts, whose authors' avatars are made
// once for the page; author is where its author goes (the page's authors
// are allocated together).
func pagePost(p *forum.Post, avatars *pageAvatars, author *apiAuthor) apiPost {
	out := apiPost{ID: p.ID, ThreadID: p.ThreadID, Number: p.Number, ReplyTo: p.ReplyTo, HTML: p.BodyHTML,
		Status: p.Status, Redacted: p.Redacted, RemovedBy: p.Removal, RemovedRule: p.RemovalRule, CreatedAt: p.CreatedAt, EditedAt: p.EditedAt,
		EditCount: p.EditCount, LikeCount: p.LikeCount, Liked: p.Liked}
	if p.AuthorID != nil {
		*author = apiAuthor{ID: *p.AuthorID}
		out.Author = author
		if p.AuthorName != nil {
			out.Author.Username = *p.AuthorName
			out.Author.AvatarURL = avatars.of(p, *p.AuthorName).Src
		}
	}
	return out
}

// newAPIPost is a post just stored, as the API shows it: without its
// author's avatar, which storing it does not read (a generated one would
// be wrong for an author who uploaded theirs).
func newAPIPost(p *forum.Post) apiPost {
	out := toAPIPost(p)
	if out.Author != nil {
		out.Author.AvatarURL = ""
	}
	return out
}

// submittedStatus is 201 for a published submission, 202 for one held for
// approval.
func submittedStatus(p *forum.Post) int {
	if p.Status == forum.StatusHeld {
		return http.StatusAccepted
	}
	return http.StatusCreated
}

func (s *Server) apiCategoryThreads(c *gin.Context) {
	id, ok := s.pathID(c, "id", "category.not_found")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if _, err := s.db.CategoryByID(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	after, err := forum.ParseCursor(c.Query("after"))
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := s.db.CategoryThreads(ctx, id, after, threadsPerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeJSON(c, http.StatusOK, gin.H{"threads": s.apiThreads(ctx, l.Threads), "next": nullable(l.Next)})
}

// apiThreadItem is a thread of a list as the API shows it: the thread, and
// its author's avatar.
type apiThreadItem struct {
	*forum.Thread
	AuthorAvatarURL string `json:"author_avatar_url,omitempty"`
}

// apiThreads are threads of a list with their authors' avatars (one query
// for those not in forum.Faces' cache, whatever the list's length).
func (s *Server) apiThreads(ctx context.Context, threads []forum.Thread) []apiThreadItem {
	out := make([]apiThreadItem, len(threads))
	for i, a := range s.threadAvatars(ctx, threads) {
		out[i] = apiThreadItem{Thread: &threads[i], AuthorAvatarURL: a.Src}
	}
	return out
}

// threadsPerPage is the length of a page of a thread list.
const threadsPerPage = 30

// nullable is nil for "", so that JSON says null on the last page.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type createThreadRequest struct {
	CategoryID int64  `json:"category_id"`
	Title      string `json:"title"`
	Body       string `json:"body"`
}

func (s *Server) apiCreateThread(c *gin.Context) {
	var req createThreadRequest
	if !s.bindJSON(c, &req) {
		return
	}
	out, err := s.pipeline.SubmitThread(c.Request.Context(), moderation.ThreadSubmission(req))
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if m := forum.MemberFrom(ctx); m != nil {
		out.Post.AuthorName = &m.Username
	}
	if t, err := s.db.ThreadByID(ctx, out.Thread.ID); err == nil {
		out.Thread = t // with its category's name and slug
	}
	c.JSON(submittedStatus(out.Post), gin.H{"thread": out.Thread, "post": newAPIPost(out.Post), "reasons": s.verdictReasons(c, out.Verdict)})
}

func (s *Server) apiThread(c *gin.Context) {
	t, page, _, ok := s.readThread(c, s.db.ThreadPagePosts)
	if !ok {
		return
	}
	s.writeThreadJSON(c, t, page)
}

// threadPageReader reads a page of a thread: DB.ThreadPage for the page in
// HTML, DB.ThreadPagePosts for the JSON, which shows less of its reader.
type threadPageReader func(ctx context.Context, id int64, after int) (*forum.Thread, *forum.PostPage, error)

// readThread reads the thread of the request's path and the page of its
// posts its ?after= asks for, with read, and records that the member has
// read them; ok is false when it has answered an error.
func (s *Server) readThread(c *gin.Context, read threadPageReader) (t *forum.Thread, page *forum.PostPage, after int, ok bool) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return nil, nil, 0, false
	}
	after, err := afterNumber(c)
	if err != nil {
		s.fail(c, err)
		return nil, nil, 0, false
	}
	ctx := c.Request.Context()
	t, page, err = read(ctx, id, after)
	if err != nil {
		s.fail(c, err)
		return nil, nil, 0, false
	}
	// Recording what was read is a write, and a durable commit: only when
	// the page shows something the member had not read yet.
	if n := len(page.Posts); n > 0 && (t.LastRead == nil || *t.LastRead < page.Posts[n-1].Number) {
		if err := s.db.MarkRead(ctx, id, page.Posts[n-1].Number); err != nil {
			// Reading must not fail because the reading state could not be kept.
			s.log.Warn("reading state", "request_id", c.GetString(ctxRequestID), "error", err)
		}
	}
	return t, page, after, true
}

type createReplyRequest struct {
	Body    string `json:"body"`
	ReplyTo *int   `json:"reply_to"`
}

func (s *Server) apiCreateReply(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	var req createReplyRequest
	if !s.bindJSON(c, &req) {
		return
	}
	out, err := s.pipeline.SubmitReply(c.Request.Context(), moderation.ReplySubmission{ThreadID: id, ReplyTo: req.ReplyTo, Body: req.Body})
	if err != nil {
		s.fail(c, err)
		return
	}
	if m := forum.MemberFrom(c.Request.Context()); m != nil {
		out.Post.AuthorName = &m.Username
	}
	c.JSON(submittedStatus(out.Post), gin.H{"post": newAPIPost(out.Post), "reasons": s.verdictReasons(c, out.Verdict)})
}

func (s *Server) apiThreadFlags(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	var req forum.ThreadFlags
	if !s.bindJSON(c, &req) {
		return
	}
	t, err := s.db.SetThreadFlags(c.Request.Context(), id, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"thread": t})
}
