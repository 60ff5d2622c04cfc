package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// unsubscribePage is the page of a mail's unsubscribe link.
type unsubscribePage struct {
	Member, Key, List string
	ListName          string // the list in words
	Invalid           bool   // the link is not (or no longer) valid
	Done              bool
}

// unsubscribeListKeys name each list in the catalogues.
var unsubscribeListKeys = map[string]string{
	forum.ListReply: "unsubscribe.list_reply", forum.ListMention: "unsubscribe.list_mention", forum.ListQuote: "unsubscribe.list_quote",
	forum.ListLike: "unsubscribe.list_like", forum.ListModeration: "unsubscribe.list_moderation",
	forum.ListMessage: "unsubscribe.list_message", forum.ListDigest: "unsubscribe.list_digest",
}

// unsubscribeParams reads an unsubscribe link's member, key and list: in
// the query string (the link, and RFC 8058's one-click POST to it) or in
// the confirmation form.
func unsubscribeParams(c *gin.Context) (member, key, list string) {
	get := func(name string) string {
		if v := c.Query(name); v != "" {
			return v
		}
		return c.PostForm(name)
	}
	return get("member"), get("key"), get("list")
}

// htmlUnsubscribeForm shows a button that leaves the list of a mail's link:
// opening the link changes nothing, since mail scanners open links.
func (s *Server) htmlUnsubscribeForm(c *gin.Context) {
	page := unsubscribePage{}
	page.Member, page.Key, page.List = unsubscribeParams(c)
	status := http.StatusOK
	if _, err := s.db.CheckUnsubscribe(c.Request.Context(), page.Member, page.Key, page.List); err != nil {
		if forum.ErrorCode(err) != forum.ENOTFOUND {
			s.fail(c, err)
			return
		}
		page.Invalid, status = true, http.StatusNotFound
	}
	if !page.Invalid {
		page.ListName = s.lang(c).T(unsubscribeListKeys[page.List])
	}
	s.render(c, status, "unsubscribe", s.lang(c).T("unsubscribe.title"), page)
}

// htmlUnsubscribe leaves the list: from the page's button, or in one click
// from a mail program (RFC 8058: a POST with List-Unsubscribe=One-Click to
// the link, without cookies). The link's key is the credential.
func (s *Server) htmlUnsubscribe(c *gin.Context) {
	page := unsubscribePage{}
	page.Member, page.Key, page.List = unsubscribeParams(c)
	status := http.StatusOK
	if _, err := s.db.Unsubscribe(c.Request.Context(), page.Member, page.Key, page.List); err != nil {
		if forum.ErrorCode(err) != forum.ENOTFOUND {
			s.fail(c, err)
			return
		}
		page.Invalid, status = true, http.StatusNotFound
	} else {
		page.Done = true
	}
	if !page.Invalid {
		page.ListName = s.lang(c).T(unsubscribeListKeys[page.List])
	}
	s.render(c, status, "unsubscribe", s.lang(c).T("unsubscribe.title"), page)
}
