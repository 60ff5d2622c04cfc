package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// unreadBadge is the member's unread notification count for the header:
// visitors cost no query, members none either when it came with their
// session (or one indexed count otherwise). A failure only hides
// the badge.
func (s *Server) unreadBadge(c *gin.Context) int {
	m := forum.MemberFrom(c.Request.Context())
	if m == nil {
		return 0
	}
	if m.UnreadNotifications != nil { // read when they were authenticated
		return *m.UnreadNotifications
	}
	n, err := s.db.UnreadNotifications(c.Request.Context())
	if err != nil {
		s.log.Warn("counting notifications", "request_id", c.GetString(ctxRequestID), "error", err)
	}
	return n
}

// unreadMessagesBadge is the count of the header's Messages badge: the
// member's conversations with a message they have not read.
func (s *Server) unreadMessagesBadge(c *gin.Context) int {
	m := forum.MemberFrom(c.Request.Context())
	if m == nil {
		return 0
	}
	if m.UnreadConversations != nil { // read when they were authenticated
		return *m.UnreadConversations
	}
	n, err := s.db.UnreadConversations(c.Request.Context())
	if err != nil {
		s.log.Warn("counting unread conversations", "request_id", c.GetString(ctxRequestID), "error", err)
	}
	return n
}

// notificationItem is a notification as pages and the API show it.
type notificationItem struct {
	ID        int64       `json:"id"`
	Kind      string      `json:"kind"`
	Text      string      `json:"text"`
	Reason    string      `json:"reason,omitempty"`
	Action    string      `json:"action,omitempty"`
	URL       string      `json:"url"`
	Actor     *memberRef  `json:"actor"`
	Thread    *threadRef  `json:"thread"`
	Post      *postRef    `json:"post"`
	LikeCount int         `json:"like_count,omitempty"`
	CreatedAt string      `json:"created_at"`
	Read      bool        `json:"read"`
	Avatar    avatarImage `json:"-"` // the actor's, on the page (Src "" for none)
	n         *forum.Notification
}

type memberRef struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	AvatarURL string `json:"avatar_url,omitempty"` // in the API's answers
}

type threadRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Slug  string `json:"slug"`
}

type postRef struct {
	ID     int64 `json:"id"`
	Number int   `json:"number"`
}

// notificationItems puts notifications into the reader's language.
func notificationItems(l *Lang, ns []forum.Notification) []notificationItem {
	out := make([]notificationItem, len(ns))
	for i := range ns {
		n := &ns[i]
		it := notificationItem{ID: n.ID, Kind: n.Kind, Text: notificationText(l, n), Reason: n.Data.Reason,
			Action: n.Data.Action, URL: "/notifications", CreatedAt: n.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
			Read: n.ReadAt != nil, n: n}
		if n.ActorID != nil && n.ActorName != nil {
			it.Actor = &memberRef{ID: *n.ActorID, Username: *n.ActorName}
		}
		if n.ThreadID != nil && n.ThreadTitle != nil {
			it.Thread = &threadRef{ID: *n.ThreadID, Title: *n.ThreadTitle, Slug: deref(n.ThreadSlug)}
			it.URL = "/t/" + strconv.FormatInt(*n.ThreadID, 10)
		}
		if n.PostID != nil && n.PostNumber != nil {
			it.Post = &postRef{ID: *n.PostID, Number: *n.PostNumber}
			it.URL = "/p/" + strconv.FormatInt(*n.PostID, 10)
		}
		if n.ConversationID != nil {
			it.URL = notificationMessageURL(n)
		}
		if n.Kind == forum.NotifyLike {
			it.LikeCount = n.LikeCount()
		}
		out[i] = it
	}
	return out
}

// notificationMessageURL is where a notification of a private message
// leads: the message's permanent link, which opens the page of the
// conversation that holds it (as a post's notification opens the post), or
// the conversation for one that names no message.
func notificationMessageURL(n *forum.Notification) string {
	if n.Data.MessageID != 0 {
		return "/m/" + strconv.FormatInt(n.Data.MessageID, 10)
	}
	return conversationURL(*n.ConversationID)
}

// notificationText says what happened, in the reader's language.
func notificationText(l *Lang, n *forum.Notification) string {
	actor := l.T("notify.someone")
	if n.ActorName != nil {
		actor = *n.ActorName
	}
	title := deref(n.ThreadTitle)
	switch n.Kind {
	case forum.NotifyReply:
		return l.T("notify.reply", "Actor", actor, "Title", title)
	case forum.NotifyMention:
		return l.T("notify.mention", "Actor", actor, "Title", title)
	case forum.NotifyQuote:
		return l.T("notify.quote", "Actor", actor, "Title", title)
	case forum.NotifyWatching:
		return l.T("notify.watching", "Actor", actor, "Title", title)
	case forum.NotifyNewThread:
		return l.T("notify.new_thread", "Actor", actor, "Title", title)
	case forum.NotifyMessage:
		return l.T("notify.message", "Actor", actor, "Title", title)
	case forum.NotifyBookmarkReminder:
		return l.T("notify.bookmark_reminder", "Title", title)
	case forum.NotifyLike:
		if others := n.LikeCount() - 1; others > 0 {
			return l.T("notify.like_others", "Actor", actor, "Count", others, "Title", title)
		}
		return l.T("notify.like", "Actor", actor, "Title", title)
	case forum.NotifyModeration:
		// Sanctions say in words what was decided, until when and how to
		// appeal; the reason (rule and message) is shown below the text.
		if key := "sanction.notice." + n.Data.Action; l.Has(key) {
			args := map[string]any{"What": ""}
			if n.Data.Kind != "" {
				args["What"] = l.T(sanctionKindKey(n.Data.Kind))
			}
			if n.Data.Until != nil {
				args["Until"] = l.DateTime(*n.Data.Until)
			}
			return l.Msg(key, args)
		}
		key := "notify.moderation." + n.Data.Action
		if !l.Has(key) {
			key = "notify.moderation.other"
		}
		return l.Msg(key, map[string]any{"Title": title})
	}
	return l.T("notify.other")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// queryCursor reads a positive integer cursor from the query string (0
// when absent); bad ones are refused.
func queryCursor(c *gin.Context, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, forum.Errorf(forum.EINVALID, "notify.cursor_invalid", nil).OnField(name)
	}
	return n, nil
}

type notificationsPage struct {
	Items  []notificationItem
	Next   int64
	Unread int
}

// htmlNotifications lists the member's notifications, newest first.
func (s *Server) htmlNotifications(c *gin.Context) {
	before, err := queryCursor(c, "before")
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.db.Notifications(c.Request.Context(), before, 30)
	if err != nil {
		s.fail(c, err)
		return
	}
	l := s.lang(c)
	items := notificationItems(l, page.Notifications)
	ids, names := make([]int64, len(items)), make([]string, len(items))
	for i := range items {
		if a := items[i].Actor; a != nil {
			ids[i], names[i] = a.ID, a.Username
		}
	}
	for i, a := range s.memberAvatars(c.Request.Context(), ids, names, listAvatarSide) {
		items[i].Avatar = a
	}
	s.render(c, http.StatusOK, "notifications", l.T("notify.title"), notificationsPage{
		Items: items, Next: page.Next, Unread: page.Unread,
	})
}

// htmlMarkNotificationsRead marks one notification (field id) or all of
// them read, then goes back to the list.
func (s *Server) htmlMarkNotificationsRead(c *gin.Context) {
	var ids []int64
	if v := c.PostForm("id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.fail(c, forum.Errorf(forum.EINVALID, "notify.not_found", nil))
			return
		}
		ids = []int64{id}
	}
	if _, err := s.db.MarkNotificationsRead(c.Request.Context(), ids); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/notifications")
}

// htmlOpenNotification marks a notification read and goes to its post.
func (s *Server) htmlOpenNotification(c *gin.Context) {
	id, ok := s.pathID(c, "id", "notify.not_found")
	if !ok {
		return
	}
	n, err := s.db.OpenNotification(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch {
	case n.ConversationID != nil:
		c.Redirect(http.StatusSeeOther, notificationMessageURL(n))
	case n.PostID != nil:
		c.Redirect(http.StatusSeeOther, "/p/"+strconv.FormatInt(*n.PostID, 10))
	case n.ThreadID != nil:
		c.Redirect(http.StatusSeeOther, "/t/"+strconv.FormatInt(*n.ThreadID, 10))
	default:
		c.Redirect(http.StatusSeeOther, "/notifications")
	}
}

// htmlWatchThread and htmlWatchCategory set the member's level from the
// buttons of the thread and category pages.
func (s *Server) htmlWatchThread(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	if _, err := s.db.WatchThread(c.Request.Context(), id, c.PostForm("level")); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/t/"+strconv.FormatInt(id, 10))
}

func (s *Server) htmlWatchCategory(c *gin.Context) {
	cat, err := s.db.CategoryBySlug(c.Request.Context(), c.Param("slug"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.db.WatchCategory(c.Request.Context(), cat.ID, c.PostForm("level")); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/c/"+cat.Slug)
}
