package server

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// Pages of private messages: the list, a conversation with its reply
// form, a new conversation. None is cached (s.cached): only participants
// read them.

type conversationListPage struct {
	Conversations []forum.Conversation
	Prefs         *forum.MessagePreferences
	// From is the preference as the form's one choice: "0"-"4" (a trust
	// level) or "staff".
	From    string
	Levels  []int
	Saved   bool
	EmailOn bool
	Query   string
	// QueryForm holds why the box refused Query.
	QueryForm *Form
}

// Link is where a conversation of the list leads: its first message the
// reader has not read, on the page that holds it, when there is one; its
// first page otherwise.
func (p *conversationListPage) Link(c forum.Conversation) string {
	if c.Unread > 0 {
		return messageURL(c.ID, c.LastRead+1)
	}
	return conversationURL(c.ID)
}

// htmlConversations lists the member's conversations, with whom they
// accept messages from.
func (s *Server) htmlConversations(c *gin.Context) {
	ctx := c.Request.Context()
	status := http.StatusOK
	// A text the box refuses comes back in it, with why.
	form := &Form{Values: map[string]string{"q": c.Query("q")}, Errors: map[string]string{}}
	list, err := s.db.Conversations(ctx, c.Query("q"))
	if forum.ErrorCode(err) == forum.EINVALID {
		status, list = s.setError(c, form, err), []forum.Conversation{}
	} else if err != nil {
		s.fail(c, err)
		return
	}
	prefs, err := s.db.MessagePreferences(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := &conversationListPage{Conversations: list, Prefs: prefs, From: fmt.Sprint(prefs.MinTrustLevel),
		Levels: []int{0, 1, 2, 3, 4}, Saved: c.Query("saved") == "1", Query: c.Query("q"), QueryForm: form}
	if prefs.StaffOnly {
		page.From = "staff"
	}
	page.EmailOn = prefs.EmailOnMessage != nil && *prefs.EmailOnMessage
	s.render(c, status, "messages", s.lang(c).T("messages.title"), page)
}

// htmlSaveMessagePreferences saves whom the member accepts messages from.
func (s *Server) htmlSaveMessagePreferences(c *gin.Context) {
	p := forum.MessagePreferences{StaffOnly: c.PostForm("from") == "staff"}
	if !p.StaffOnly {
		if _, err := fmt.Sscan(c.PostForm("from"), &p.MinTrustLevel); err != nil {
			p.MinTrustLevel = -1 // refused below
		}
	}
	email := c.PostForm("email_on_message") == "1"
	p.EmailOnMessage = &email
	if err := s.db.SetMessagePreferences(c.Request.Context(), p); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/messages?saved=1#preferences")
}

type messageView struct {
	forum.Message
	HTML template.HTML
	Own  bool
}

// Edited reports whether its author changed the message.
func (m messageView) Edited() bool { return m.EditedAt != nil }

type conversationPage struct {
	Conversation *forum.Conversation
	Messages     []messageView
	Next         int
	Form         *Form // the reply
	AddForm      *Form // adding a participant (its author)
	Held         []string
	CanWrite     bool
	IsAuthor     bool
	After        int // ?after= of this page
}

// Prev is the address of the page before this one ("" on the first): the
// MessagesPerPage numbers before its start, as messageURL cuts them.
func (p *conversationPage) Prev() string {
	if p.After <= 0 {
		return ""
	}
	if after := p.After - forum.MessagesPerPage; after > 0 {
		return fmt.Sprintf("%s?after=%d", p.URL(), after)
	}
	return p.URL()
}

// prefillMessageQuote puts a quote of message ?quote=ID of the same
// conversation in the reply form, attributed to its author (the
// [quote=name] of posts, which links to the member: a message has no
// public address).
func (s *Server) prefillMessageQuote(c *gin.Context, conv *forum.Conversation, form *Form, raw string) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return
	}
	m, mc, err := s.db.MessageByID(c.Request.Context(), id)
	if err != nil || mc.ID != conv.ID || m.Status != forum.MessagePublished {
		return
	}
	name := m.Author().Username
	if name == "" {
		return
	}
	form.Values["body"] = fmt.Sprintf("[quote=%s]\n%s\n[/quote]\n\n", name, strings.TrimSpace(m.BodyMarkdown))
}

func (p *conversationPage) URL() string { return conversationURL(p.Conversation.ID) }

// conversationURL is the address of a conversation, its first page.
func conversationURL(id int64) string { return fmt.Sprintf("/messages/%d", id) }

// conversationView reads the conversation of the path and a page of its
// messages; ok is false when it has answered an error (404 for anyone who
// may not read it).
func (s *Server) conversationView(c *gin.Context) (*conversationPage, bool) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return nil, false
	}
	after, err := afterNumber(c)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	ctx := c.Request.Context()
	if _, err := forum.RequireMember(ctx); err != nil {
		s.fail(c, err)
		return nil, false
	}
	conv, err := s.db.Conversation(ctx, id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	page, err := s.db.Messages(ctx, conv, after)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	me := forum.MemberFrom(ctx)
	if page.MarkedRead && me != nil && me.UnreadConversations != nil {
		// The header counts the conversation just read no more.
		if n, err := s.db.UnreadConversations(ctx); err == nil {
			now := *me
			now.UnreadConversations = &n
			me = &now
			c.Request = c.Request.WithContext(forum.WithMember(ctx, me))
		}
	}
	out := &conversationPage{Conversation: conv, Next: page.Next, After: after, Form: readForm(c), AddForm: readForm(c),
		CanWrite: conv.Participant, IsAuthor: conv.IsAuthor(me)}
	if q := c.Query("quote"); q != "" && conv.Participant {
		s.prefillMessageQuote(c, conv, out.Form, q)
	}
	for _, m := range page.Messages {
		out.Messages = append(out.Messages, messageView{Message: m, HTML: template.HTML(m.BodyHTML), Own: m.IsAuthor(me)})
	}
	return out, true
}

// htmlConversation shows a conversation and its reply form.
func (s *Server) htmlConversation(c *gin.Context) {
	page, ok := s.conversationView(c)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "conversation", page.Conversation.Title, page)
}

// htmlReplyMessage writes a message; a refused one comes back in the form,
// a held one is shown with why.
func (s *Server) htmlReplyMessage(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return
	}
	form := readForm(c, "body")
	out, err := s.pipeline.SubmitMessage(c.Request.Context(), moderation.MessageSubmission{ConversationID: id, Body: form.Get("body")})
	if err != nil {
		if code := forum.ErrorCode(err); code == forum.EUNAUTHORIZED || code == forum.ENOTFOUND {
			s.fail(c, err)
			return
		}
		page, ok := s.conversationView(c)
		if !ok {
			return
		}
		page.Form = form
		s.render(c, s.setError(c, form, err), "conversation", page.Conversation.Title, page)
		return
	}
	s.afterMessage(c, out)
}

// messageURL is the address of message number n at its anchor, on the
// page of its conversation that holds it: the pages of MessagesPerPage
// numbers (a conversation's address alone shows its first page), with
// the messages before it on the same page for context. A page shows the
// MessagesPerPage first messages after its start that the reader may
// see, so message n is among them.
func messageURL(conversationID int64, n int) string {
	after := (max(n, 1) - 1) / forum.MessagesPerPage * forum.MessagesPerPage
	if after == 0 {
		return fmt.Sprintf("%s#m-%d", conversationURL(conversationID), n)
	}
	return fmt.Sprintf("%s?after=%d#m-%d", conversationURL(conversationID), after, n)
}

// afterMessage goes to the message written, or shows why it is held.
func (s *Server) afterMessage(c *gin.Context, out *moderation.MessageSubmitted) {
	if out.Message.Status != forum.MessageHeld {
		c.Redirect(http.StatusSeeOther, messageURL(out.Message.ConversationID, out.Message.Number))
		return
	}
	c.Params = append(c.Params[:0:0], gin.Param{Key: "id", Value: fmt.Sprint(out.Message.ConversationID)})
	page, ok := s.conversationView(c)
	if !ok {
		return
	}
	for _, r := range s.verdictReasons(c, out.Verdict) {
		page.Held = append(page.Held, r.Message)
	}
	if len(page.Held) == 0 {
		page.Held = []string{s.lang(c).T("messages.held")}
	}
	s.render(c, http.StatusAccepted, "conversation", page.Conversation.Title, page)
}

// htmlLeaveConversation takes the member out of a conversation.
func (s *Server) htmlLeaveConversation(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return
	}
	if err := s.db.LeaveConversation(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/messages")
}

// htmlAddParticipant adds a member to a conversation its author started.
func (s *Server) htmlAddParticipant(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.not_found")
	if !ok {
		return
	}
	form := readForm(c, "username")
	if _, err := s.db.AddParticipant(c.Request.Context(), id, form.Get("username")); err != nil {
		if code := forum.ErrorCode(err); code == forum.EUNAUTHORIZED || code == forum.ENOTFOUND && forum.AsError(err).Key == "conversation.not_found" {
			s.fail(c, err)
			return
		}
		page, ok := s.conversationView(c)
		if !ok {
			return
		}
		page.AddForm = form
		s.render(c, s.setError(c, form, forum.AsError(err).OnField("username")), "conversation", page.Conversation.Title, page)
		return
	}
	c.Redirect(http.StatusSeeOther, conversationURL(id))
}

type newConversationPage struct {
	Form *Form
}

var newConversationFields = []string{"recipients", "title", "body"}

// htmlNewConversationForm shows the form to write to members (?to= fills
// the recipients).
func (s *Server) htmlNewConversationForm(c *gin.Context) {
	if _, err := forum.RequireMember(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	form := readForm(c)
	form.Values["recipients"] = c.Query("to")
	s.render(c, http.StatusOK, "message_new", s.lang(c).T("messages.new_title"), &newConversationPage{Form: form})
}

// htmlStartConversation starts a conversation; a refused one comes back
// filled.
func (s *Server) htmlStartConversation(c *gin.Context) {
	form := readForm(c, newConversationFields...)
	out, err := s.pipeline.StartConversation(c.Request.Context(), moderation.ConversationSubmission{
		Recipients: splitNames(form.Get("recipients")), Title: form.Get("title"), Body: form.Get("body"),
	})
	if err != nil {
		if forum.ErrorCode(err) == forum.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		s.render(c, s.setError(c, form, err), "message_new", s.lang(c).T("messages.new_title"), &newConversationPage{Form: form})
		return
	}
	s.afterMessage(c, out)
}

// splitNames reads the recipients field: names separated by commas or
// spaces, an @ before a name allowed.
func splitNames(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' }) {
		if f = strings.TrimPrefix(strings.TrimSpace(f), "@"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// htmlIgnore ignores or stops ignoring a member, from their profile.
func (s *Server) htmlIgnore(c *gin.Context) {
	ctx := c.Request.Context()
	name := c.Param("username")
	var err error
	if c.PostForm("ignore") == "0" {
		err = s.db.Unignore(ctx, name)
	} else {
		err = s.db.Ignore(ctx, name)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/u/"+name)
}

// htmlMessagePermalink goes to a message in its conversation, for whoever
// may read it (the moderators once a report opened it).
// messageEditPage is the form that changes a message's text.
type messageEditPage struct {
	Message      *forum.Message
	Conversation *forum.Conversation
	Form         *Form
}

// htmlEditMessageForm shows a message's text in a form, to its author.
func (s *Server) htmlEditMessageForm(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.message_not_found")
	if !ok {
		return
	}
	m, conv, err := s.db.MessageByID(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !conv.Participant || !m.IsAuthor(forum.MemberFrom(c.Request.Context())) {
		s.fail(c, forum.Errorf(forum.EFORBIDDEN, "conversation.edit_forbidden", nil))
		return
	}
	form := &Form{Values: map[string]string{"body": m.BodyMarkdown}, Errors: map[string]string{}}
	s.render(c, http.StatusOK, "message_edit", s.lang(c).T("messages.edit_title"), messageEditPage{Message: m, Conversation: conv, Form: form})
}

// htmlEditMessage saves a message's new text; a refused one comes back in
// the form, a held one is shown in its conversation with why.
func (s *Server) htmlEditMessage(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.message_not_found")
	if !ok {
		return
	}
	form := readForm(c, "body")
	out, err := s.pipeline.EditMessage(c.Request.Context(), id, form.Get("body"))
	if err != nil {
		if code := forum.ErrorCode(err); code == forum.EUNAUTHORIZED || code == forum.ENOTFOUND || code == forum.EFORBIDDEN {
			s.fail(c, err)
			return
		}
		m, conv, rerr := s.db.MessageByID(c.Request.Context(), id)
		if rerr != nil {
			s.fail(c, rerr)
			return
		}
		s.render(c, s.setError(c, form, err), "message_edit", s.lang(c).T("messages.edit_title"),
			messageEditPage{Message: m, Conversation: conv, Form: form})
		return
	}
	s.afterMessage(c, out)
}

// htmlLikeMessage likes a message (or takes the like back, unlike=1) and
// goes back to it.
func (s *Server) htmlLikeMessage(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.message_not_found")
	if !ok {
		return
	}
	if _, err := s.db.LikeMessage(c.Request.Context(), id, c.PostForm("unlike") != "1"); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/m/%d", id))
}

func (s *Server) htmlMessagePermalink(c *gin.Context) {
	id, ok := s.pathID(c, "id", "conversation.message_not_found")
	if !ok {
		return
	}
	m, conv, err := s.db.MessageByID(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, messageURL(conv.ID, m.Number))
}
