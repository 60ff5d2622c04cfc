package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// The webhooks pages (admins): the list with the registration form, and
// each webhook's delivery log with "send again". The role is checked by
// forum (every function of forum/webhook.go).

type adminWebhooksPage struct {
	Webhooks []forum.Webhook
	Events   []string
	Form     *Form
	Chosen   map[string]bool // the events ticked in the form
	Notice   string
	Secret   string // the secret of the webhook just registered, shown once
}

type adminWebhookPage struct {
	Webhook    forum.Webhook
	Deliveries []forum.WebhookDelivery
	Next       int64
	Notice     string
}

var webhookFields = []string{"url", "events", "secret"}

// htmlAdminWebhooks lists the webhooks.
func (s *Server) htmlAdminWebhooks(c *gin.Context) {
	notice := ""
	switch c.Query("done") {
	case "updated":
		notice = s.lang(c).T("webhook.updated")
	case "deleted":
		notice = s.lang(c).T("webhook.deleted")
	}
	s.renderAdminWebhooks(c, http.StatusOK, nil, nil, notice, "")
}

func (s *Server) renderAdminWebhooks(c *gin.Context, status int, form *Form, chosen map[string]bool, notice, secret string) {
	list, err := s.db.Webhooks(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if form == nil {
		form = &Form{Values: map[string]string{"url": "", "events": "", "secret": ""}, Errors: map[string]string{}}
		chosen = map[string]bool{forum.EventPostPublished: true}
	}
	s.render(c, status, "admin_webhooks", s.lang(c).T("webhook.title"),
		adminWebhooksPage{Webhooks: list, Events: forum.WebhookEvents, Form: form, Chosen: chosen, Notice: notice, Secret: secret})
}

// htmlAdminCreateWebhook registers a webhook and shows its secret, once:
// the page is answered directly, never through a redirect whose address
// would carry it.
func (s *Server) htmlAdminCreateWebhook(c *gin.Context) {
	form := readForm(c, webhookFields...)
	events := c.PostFormArray("events")
	chosen := map[string]bool{}
	for _, e := range events {
		chosen[e] = true
	}
	url, secret := strings.TrimSpace(form.Get("url")), form.Get("secret")
	in := forum.WebhookInput{URL: &url, Events: &events}
	if secret != "" {
		in.Secret = &secret
	}
	w, err := s.db.CreateWebhook(c.Request.Context(), in, s.cfg.WebhooksAllowPrivate)
	if err != nil {
		if code := forum.ErrorCode(err); code == forum.EUNAUTHORIZED || code == forum.EFORBIDDEN {
			s.fail(c, err)
			return
		}
		s.renderAdminWebhooks(c, s.setError(c, form, err), form, chosen, "", "")
		return
	}
	s.renderAdminWebhooks(c, http.StatusCreated, nil, nil, s.lang(c).T("webhook.created"), w.Secret)
}

// htmlAdminWebhookActive turns a webhook on or off.
func (s *Server) htmlAdminWebhookActive(c *gin.Context) {
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	active := c.PostForm("active") == "1"
	if _, err := s.db.UpdateWebhook(c.Request.Context(), id, forum.WebhookInput{Active: &active}, s.cfg.WebhooksAllowPrivate); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/webhooks?done=updated")
}

// htmlAdminDeleteWebhook deletes a webhook and its log.
func (s *Server) htmlAdminDeleteWebhook(c *gin.Context) {
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	if err := s.db.DeleteWebhook(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/webhooks?done=deleted")
}

// htmlAdminWebhook shows a webhook's delivery log, the newest first.
func (s *Server) htmlAdminWebhook(c *gin.Context) {
	ctx := c.Request.Context()
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	before, err := queryCursor(c, "before")
	if err != nil {
		s.fail(c, err)
		return
	}
	deliveries, next, err := s.db.WebhookDeliveries(ctx, id, before, 50)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.db.Webhooks(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := adminWebhookPage{Deliveries: deliveries, Next: next}
	for _, w := range list {
		if w.ID == id {
			page.Webhook = w
		}
	}
	if c.Query("done") == "redelivered" {
		page.Notice = s.lang(c).T("webhook.redelivered")
	}
	s.render(c, http.StatusOK, "admin_webhook", s.lang(c).T("webhook.deliveries_title", "URL", page.Webhook.URL), page)
}

// htmlAdminRedeliver sends a delivery again.
func (s *Server) htmlAdminRedeliver(c *gin.Context) {
	id, ok := s.pathID(c, "id", "webhook.not_found")
	if !ok {
		return
	}
	delivery, ok := s.pathID(c, "delivery", "webhook.delivery_not_found")
	if !ok {
		return
	}
	if _, err := s.db.Redeliver(c.Request.Context(), id, delivery); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/webhooks/"+strconv.FormatInt(id, 10)+"?done=redelivered")
}
