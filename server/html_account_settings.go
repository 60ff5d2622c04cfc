package server

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// Fields of the account page's forms.
var (
	profileFields  = []string{"display_name", "bio", "locale", "notify_replies", "notify_mentions", "notify_quotes", "notify_likes", "notify_moderation", "digest"}
	passwordFields = []string{"current_password", "new_password", "confirm_password"}
)

type accountPage struct {
	Profile   *Form
	Password  *Form
	Appeal    *Form
	AppealID  int64 // the sanction the Appeal form is about
	Sanctions []sanctionView
	Saved     string // which form was just saved: "profile", "password", "appeal", "verification", "avatar"
	// Verification is why a new confirmation link could not be sent.
	Verification string
	Avatar       avatarView // the member's avatar (server/html_account_avatar.go)
	HasAvatar    bool       // an uploaded one, which may be removed
	AvatarForm   *Form      // the avatar form, with why a picture was refused
	// EmailBounced: the member's address refused a mail for good, and
	// notification mail is paused until they confirm it again.
	EmailBounced bool
}

// sanctionView is a sanction with its appeal form (filled when refused).
type sanctionView struct {
	forum.Sanction
	Appeal *Form
}

// accountPageFor fills the account page around the forms given (nil ones
// are filled from the stored settings).
func (s *Server) accountPageFor(c *gin.Context, p *accountPage) error {
	ctx := c.Request.Context()
	m, err := forum.RequireMember(ctx)
	if err != nil {
		return err
	}
	st, err := s.db.AccountSettings(ctx)
	if err != nil {
		return err
	}
	p.EmailBounced = st.EmailBounced
	if p.Profile == nil {
		p.Profile = &Form{Errors: map[string]string{}, Values: map[string]string{
			"display_name": st.DisplayName, "bio": st.BioMarkdown, "locale": st.Locale,
			"notify_replies": checked(st.Notifications.Replies), "notify_mentions": checked(st.Notifications.Mentions),
			"notify_quotes": checked(st.Notifications.Quotes), "notify_likes": checked(st.Notifications.Likes),
			"notify_moderation": checked(st.Notifications.Moderation), "digest": st.Notifications.Digest,
		}}
	}
	if p.Password == nil {
		p.Password = &Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	if err := s.accountAvatar(c, m, p); err != nil {
		return err
	}
	list, err := s.db.MemberSanctions(ctx, m.ID)
	for _, sn := range list {
		v := sanctionView{Sanction: sn, Appeal: &Form{Values: map[string]string{}, Errors: map[string]string{}}}
		if p.Appeal != nil && p.AppealID == sn.ID {
			v.Appeal = p.Appeal
		}
		p.Sanctions = append(p.Sanctions, v)
	}
	return err
}

func checked(b bool) string {
	if b {
		return "on"
	}
	return ""
}

func (s *Server) renderAccount(c *gin.Context, status int, p *accountPage) {
	if err := s.accountPageFor(c, p); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "account", s.lang(c).T("account_settings.title"), p)
}

// htmlAccount shows the account settings.
func (s *Server) htmlAccount(c *gin.Context) {
	s.renderAccount(c, http.StatusOK, &accountPage{Saved: c.Query("saved")})
}

// htmlResendVerification sends a new link to confirm the member's address.
func (s *Server) htmlResendVerification(c *gin.Context) {
	if err := s.db.ResendVerification(c.Request.Context(), s.lang(c).Code); err != nil {
		fe := domainError(err)
		if fe.Code == forum.EUNAUTHORIZED || fe.Code == forum.EINTERNAL {
			s.fail(c, err)
			return
		}
		s.renderAccount(c, statusOf[fe.Code], &accountPage{Verification: s.lang(c).Msg(fe.Key, fe.Args)})
		return
	}
	c.Redirect(http.StatusSeeOther, "/account?saved=verification#email")
}

// htmlSaveProfile saves the profile form; a refused form comes back filled.
func (s *Server) htmlSaveProfile(c *gin.Context) {
	ctx := c.Request.Context()
	m, err := forum.RequireMember(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	form := readForm(c, profileFields...)
	name, bio, locale := form.Get("display_name"), form.Get("bio"), form.Get("locale")
	notify := &forum.NotificationPrefs{
		Replies: form.Get("notify_replies") != "", Mentions: form.Get("notify_mentions") != "",
		Quotes: form.Get("notify_quotes") != "", Likes: form.Get("notify_likes") != "",
		Moderation: form.Get("notify_moderation") != "", Digest: form.Get("digest"),
	}
	u, err := s.pipeline.PrepareProfile(ctx, m, &name, &bio, &locale, notify)
	if err == nil {
		_, err = s.db.UpdateProfile(ctx, u)
	}
	if err != nil {
		s.renderAccount(c, s.setError(c, form, err), &accountPage{Profile: form})
		return
	}
	c.Redirect(http.StatusSeeOther, "/account?saved=profile")
}

// htmlChangePassword changes the password from the account page.
func (s *Server) htmlChangePassword(c *gin.Context) {
	form := readForm(c, passwordFields...)
	var err error
	if form.Get("new_password") != form.Get("confirm_password") {
		err = forum.Errorf(forum.EINVALID, "account_settings.passwords_differ", nil).OnField("confirm_password")
	} else {
		err = s.db.ChangePassword(c.Request.Context(), form.Get("current_password"), form.Get("new_password"), c.GetString(ctxSessionToken))
	}
	if err != nil {
		s.renderAccount(c, s.setError(c, form, err), &accountPage{Password: form})
		return
	}
	c.Redirect(http.StatusSeeOther, "/account?saved=password#password")
}

// htmlAppealSanction records the member's appeal of a sanction.
func (s *Server) htmlAppealSanction(c *gin.Context) {
	id, ok := s.pathID(c, "id", "sanction.not_found")
	if !ok {
		return
	}
	form := readForm(c, "appeal")
	if _, err := s.db.AppealSanction(c.Request.Context(), id, form.Get("appeal")); err != nil {
		if code := forum.ErrorCode(err); code == forum.ENOTFOUND || code == forum.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		s.renderAccount(c, s.setError(c, form, err), &accountPage{Appeal: form, AppealID: id})
		return
	}
	c.Redirect(http.StatusSeeOther, "/account?saved=appeal#sanctions")
}

// htmlExport downloads the member's data.
func (s *Server) htmlExport(c *gin.Context) { s.sendExport(c) }

type accountDeletePage struct {
	Form *Form
	Done bool
}

// htmlAccountDeleteForm asks for the password before deleting the account.
func (s *Server) htmlAccountDeleteForm(c *gin.Context) {
	if _, err := forum.RequireMember(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "account_delete", s.lang(c).T("account_delete.title"), accountDeletePage{Form: readForm(c)})
}

// htmlAccountDelete deletes the account, then logs the browser out.
func (s *Server) htmlAccountDelete(c *gin.Context) {
	form := readForm(c, "password")
	title := s.lang(c).T("account_delete.title")
	if err := s.db.DeleteAccount(c.Request.Context(), form.Get("password")); err != nil {
		status := s.setError(c, form, err)
		if status == http.StatusUnauthorized {
			s.fail(c, err)
			return
		}
		s.render(c, status, "account_delete", title, accountDeletePage{Form: form})
		return
	}
	s.clearSessionCookie(c)
	// The page after is a visitor's.
	c.Request = c.Request.WithContext(forum.WithMember(c.Request.Context(), nil))
	s.render(c, http.StatusOK, "account_delete", title, accountDeletePage{Done: true})
}

type suspendedPage struct {
	Notice *forum.SuspensionNotice
	// Through a notice link (?token=): the sanction, and the appeal form.
	Page     *forum.SanctionNoticePage
	Token    string
	Form     *Form
	Appealed bool
	Invalid  bool // the link is unknown or expired
}

// htmlSuspended explains a suspension or a ban to the member concerned:
// through the link of the sanction mail or of a refused log-in, which needs
// no session, with the appeal form; or as the member logged in.
func (s *Server) htmlSuspended(c *gin.Context) {
	if token := c.Query("token"); token != "" {
		s.renderNoticePage(c, http.StatusOK, token, &Form{Values: map[string]string{}, Errors: map[string]string{}}, c.Query("appealed") != "")
		return
	}
	var notice *forum.SuspensionNotice
	if m := forum.MemberFrom(c.Request.Context()); m != nil {
		n, err := s.db.SuspensionNoticeFor(c.Request.Context(), m.ID)
		if err != nil && forum.ErrorCode(err) != forum.ENOTFOUND {
			s.fail(c, err)
			return
		}
		notice = n
	}
	s.renderSuspension(c, notice)
}

// renderNoticePage is the notice page of a link.
func (s *Server) renderNoticePage(c *gin.Context, status int, token string, f *Form, appealed bool) {
	page, err := s.db.SanctionNoticeByToken(c.Request.Context(), token)
	data := suspendedPage{Page: page, Token: token, Form: f, Appealed: appealed}
	if err != nil {
		if forum.ErrorCode(err) != forum.EINVALID {
			s.fail(c, err)
			return
		}
		data.Invalid, status = true, http.StatusBadRequest
	}
	// Search engines and shared caches keep none of it.
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	s.render(c, status, "suspended", s.lang(c).T("suspended.title"), data)
}

// htmlSuspendedAppeal takes the appeal of the sanction a notice link shows;
// it reaches the review queue.
func (s *Server) htmlSuspendedAppeal(c *gin.Context) {
	f := readForm(c, "token", "appeal")
	token := f.Get("token")
	if _, err := s.db.AppealByToken(c.Request.Context(), token, f.Get("appeal")); err != nil {
		if forum.ErrorCode(err) == forum.EINTERNAL {
			s.fail(c, err)
			return
		}
		s.renderNoticePage(c, s.setError(c, f, err), token, f, false)
		return
	}
	c.Redirect(http.StatusSeeOther, "/suspended?"+url.Values{"token": {token}, "appealed": {"1"}}.Encode())
}

// renderSuspension shows the suspension page: with a notice, until when
// and why (the log-in calls it once the password was right); without, what
// a suspension means. It answers 403 when there is a notice.
func (s *Server) renderSuspension(c *gin.Context, notice *forum.SuspensionNotice) {
	status := http.StatusOK
	if notice != nil {
		status = http.StatusForbidden
	}
	s.render(c, status, "suspended", s.lang(c).T("suspended.title"), suspendedPage{Notice: notice})
}
