package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// apiMessage is a private message as the API shows it.
type apiMessage struct {
	ID             int64               `json:"id"`
	ConversationID int64               `json:"conversation_id"`
	Number         int                 `json:"number"`
	Author         forum.MessageAuthor `json:"author"`
	// AuthorAvatarURL is the author's avatar ("" for a former member).
	AuthorAvatarURL string     `json:"author_avatar_url,omitempty"`
	HTML            string     `json:"html"`
	Status          string     `json:"status"`
	CreatedAt       time.Time  `json:"created_at"`
	EditedAt        *time.Time `json:"edited_at,omitempty"`
	LikeCount       int        `json:"like_count"`
	Liked           bool       `json:"liked"`
}

func toAPIMessage(m *forum.Message) apiMessage {
	return apiMessage{ID: m.ID, ConversationID: m.ConversationID, Number: m.Number, Author: m.Author(),
		HTML: m.BodyHTML, Status: m.Status, CreatedAt: m.CreatedAt, EditedAt: m.EditedAt,
		LikeCount: m.LikeCount, Liked: m.Liked}
}

func messageStatus(m *forum.Message) int {
	if m.Status == forum.MessageHeld {
		return http.StatusAccepted
	}
	return http.StatusCreated
}

type startConversationRequest struct {
	Recipients []string `json:"recipients"`
	Title      string   `json:"title"`
	Body       string   `json:"body"`
}

// apiStartConversation starts a conversation: 201, or 202 when its first
// message is held (with why); 422 when the rules refuse it.
func (s *Server) apiStartConversation(c *gin.Context) {
	var req startConversationRequest
	if !s.bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	out, err := s.pipeline.StartConversation(ctx, moderation.ConversationSubmission(req))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.answerMessage(c, out, true)
}

func (s *Server) answerMessage(c *gin.Context, out *moderation.MessageSubmitted, withConversation bool) {
	if m := forum.MemberFrom(c.Request.Context()); m != nil {
		out.Message.AuthorName = m.Username
	}
	body := gin.H{"message": toAPIMessage(out.Message), "reasons": s.verdictReasons(c, out.Verdict)}
	if withConversation {
		body["conversation"] = out.Conversation
	}
	c.JSON(messageStatus(out.Message), body)
}

// apiConversations lists the member's conversations, the latest first.
func (s *Server) apiConversations(c *gin.Context) {
	list, err := s.db.Conversations(c.Request.Context(), c.Query("q"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversations": list})
}

// apiConversation answers a conversation and a page of its messages: 404
// for anyone who may not read it.
func (s *Server) apiConversation(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return
	}
	after, err := afterNumber(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	conv, err := s.db.Conversation(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.db.Messages(ctx, conv, after)
	if err != nil {
		s.fail(c, err)
		return
	}
	msgs := make([]apiMessage, len(page.Messages))
	ids, names := make([]int64, len(page.Messages)), make([]string, len(page.Messages))
	for i := range page.Messages {
		msgs[i] = toAPIMessage(&page.Messages[i])
		if a := msgs[i].Author; !a.Former {
			ids[i], names[i] = a.ID, a.Username
		}
	}
	for i, url := range s.avatarURLs(ctx, ids, names) {
		msgs[i].AuthorAvatarURL = url
	}
	var next *int
	if page.Next > 0 {
		next = &page.Next
	}
	c.JSON(http.StatusOK, gin.H{"conversation": conv, "messages": msgs, "next": next})
}

type messageRequest struct {
	Body string `json:"body"`
}

// apiCreateMessage writes a message in a conversation.
func (s *Server) apiCreateMessage(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return
	}
	var req messageRequest
	if !s.bindJSON(c, &req) {
		return
	}
	out, err := s.pipeline.SubmitMessage(c.Request.Context(), moderation.MessageSubmission{ConversationID: id, Body: req.Body})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.answerMessage(c, out, false)
}

// apiEditMessage changes a message's text, through the pipeline again:
// 200, or 202 when the new text is held (with why); 422 when refused.
func (s *Server) apiEditMessage(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.message_not_found")
	if !ok {
		return
	}
	var req messageRequest
	if !s.bindJSON(c, &req) {
		return
	}
	out, err := s.pipeline.EditMessage(c.Request.Context(), id, req.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	out.Message.AuthorName = forum.MemberFrom(c.Request.Context()).Username
	status := http.StatusOK
	if out.Message.Status == forum.MessageHeld {
		status = http.StatusAccepted
	}
	c.JSON(status, gin.H{"message": toAPIMessage(out.Message), "reasons": s.verdictReasons(c, out.Verdict)})
}

// apiLikeMessage likes (POST) or takes back a like (DELETE) of a message.
func (s *Server) apiLikeMessage(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.message_not_found")
	if !ok {
		return
	}
	likes, err := s.db.LikeMessage(c.Request.Context(), id, c.Request.Method == http.MethodPost)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, likes)
}

// apiLeaveConversation takes the member out of a conversation.
func (s *Server) apiLeaveConversation(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return
	}
	if err := s.db.LeaveConversation(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type addParticipantRequest struct {
	Username string `json:"username"`
}

// apiAddParticipant adds a member to a conversation its author started.
func (s *Server) apiAddParticipant(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return
	}
	var req addParticipantRequest
	if !s.bindJSON(c, &req) {
		return
	}
	conv, err := s.db.AddParticipant(c.Request.Context(), id, req.Username)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"conversation": conv})
}

// apiReportMessage reports a message of a conversation the member takes
// part in: the staff may then read that conversation.
func (s *Server) apiReportMessage(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.message_not_found")
	if !ok {
		return
	}
	var req reportRequest
	if !s.bindJSON(c, &req) {
		return
	}
	r, err := s.pipeline.ReportMessage(c.Request.Context(), moderation.ReportInput{MessageID: id, Reason: req.Reason, RuleID: req.RuleID, Note: req.Note})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"report": r})
}

// apiIgnoredMembers lists the members the member ignores.
func (s *Server) apiIgnoredMembers(c *gin.Context) {
	list, err := s.db.IgnoredMembers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"members": list})
}

// apiIgnore ignores (PUT) or stops ignoring (DELETE) a member.
func (s *Server) apiIgnore(c *gin.Context) {
	ctx := c.Request.Context()
	var err error
	if c.Request.Method == http.MethodDelete {
		err = s.db.Unignore(ctx, c.Param("username"))
	} else {
		err = s.db.Ignore(ctx, c.Param("username"))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiMessagePreferences answers whom the member accepts messages from.
func (s *Server) apiMessagePreferences(c *gin.Context) {
	p, err := s.db.MessagePreferences(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// apiSetMessagePreferences changes whom the member accepts messages from.
func (s *Server) apiSetMessagePreferences(c *gin.Context) {
	var req forum.MessagePreferences
	if !s.bindJSON(c, &req) {
		return
	}
	if err := s.db.SetMessagePreferences(c.Request.Context(), req); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, req)
}
