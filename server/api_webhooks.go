package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// The webhooks API (admins; forum/webhook.go checks the role): register,
// list, change, delete, and each webhook's delivery log with redelivery.

func (s *Server) apiCreateWebhook(c *gin.Context) {
	var in forum.WebhookInput
	if !s.bindJSON(c, &in) {
		return
	}
	w, err := s.db.CreateWebhook(c.Request.Context(), in, s.cfg.WebhooksAllowPrivate)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"webhook": w})
}

func (s *Server) apiWebhooks(c *gin.Context) {
	list, err := s.db.Webhooks(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"webhooks": list, "events": forum.WebhookEvents})
}

func (s *Server) apiUpdateWebhook(c *gin.Context) {
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	var in forum.WebhookInput
	if !s.bindJSON(c, &in) {
		return
	}
	w, err := s.db.UpdateWebhook(c.Request.Context(), id, in, s.cfg.WebhooksAllowPrivate)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"webhook": w})
}

func (s *Server) apiDeleteWebhook(c *gin.Context) {
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	if err := s.db.DeleteWebhook(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiWebhookDeliveries(c *gin.Context) {
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	before, err := queryCursor(c, "before")
	if err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.db.WebhookDeliveries(c.Request.Context(), id, before, 50)
	if err != nil {
		s.fail(c, err)
		return
	}
	var cursor *int64
	if next != 0 {
		cursor = &next
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": list, "next": cursor})
}

func (s *Server) apiRedeliver(c *gin.Context) {
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	delivery, ok := s.pathID(c, "delivery", "webhook.delivery_not_found")
	if !ok {
		return
	}
	d, err := s.db.Redeliver(c.Request.Context(), id, delivery)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"delivery": d})
}
