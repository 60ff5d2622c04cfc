package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// apiNotifications lists the member's notifications, newest first.
func (s *Server) apiNotifications(c *gin.Context) {
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
	var next *string
	if page.Next != 0 {
		v := strconv.FormatInt(page.Next, 10)
		next = &v
	}
	items := notificationItems(s.lang(c), page.Notifications)
	ids, names := make([]int64, len(items)), make([]string, len(items))
	for i := range items {
		if a := items[i].Actor; a != nil {
			ids[i], names[i] = a.ID, a.Username
		}
	}
	for i, url := range s.avatarURLs(c.Request.Context(), ids, names) {
		if items[i].Actor != nil {
			items[i].Actor.AvatarURL = url
		}
	}
	c.JSON(http.StatusOK, gin.H{"notifications": items, "unread": page.Unread, "next": next})
}

type markReadRequest struct {
	IDs []int64 `json:"ids"`
}

// apiMarkNotificationsRead marks the listed notifications read (all of
// them without ids) and answers how many stay unread.
func (s *Server) apiMarkNotificationsRead(c *gin.Context) {
	var req markReadRequest
	if c.Request.ContentLength != 0 && !s.bindJSON(c, &req) {
		return
	}
	n, err := s.db.MarkNotificationsRead(c.Request.Context(), req.IDs)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"unread": n})
}

type watchRequest struct {
	Level string `json:"level"`
}

func (s *Server) apiWatchThread(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	var req watchRequest
	if !s.bindJSON(c, &req) {
		return
	}
	lv, err := s.db.WatchThread(c.Request.Context(), id, req.Level)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"watch": lv})
}

func (s *Server) apiWatchCategory(c *gin.Context) {
	id, ok := s.pathID(c, "id", "category.not_found")
	if !ok {
		return
	}
	var req watchRequest
	if !s.bindJSON(c, &req) {
		return
	}
	lv, err := s.db.WatchCategory(c.Request.Context(), id, req.Level)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"watch": lv})
}
