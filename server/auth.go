package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "palabre_session"

// ctxSessionToken holds the session cookie's value once it is known to be
// valid (for log-out and "revoke my other sessions").
const ctxSessionToken = "session_token"

// authenticate resolves the actor of the request and puts it in the request
// context, where forum and moderation find it: a bearer token for API
// clients first, else the session cookie of browsers. A token that is
// present but unknown is refused, never ignored; an unknown or expired
// cookie is cleared and the visitor is anonymous. A suspended or banned
// member is logged out.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.URL.Path == "/metrics" {
			// A scraper's bearer token is PALABRE_METRICS_TOKEN, which
			// serveMetrics checks: not a member's, and nobody is logged in.
			c.Next()
			return
		}
		ctx := c.Request.Context()
		var member *forum.Member
		if h := c.GetHeader("Authorization"); h != "" {
			scheme, token, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				s.fail(c, forum.Errorf(forum.EUNAUTHORIZED, "auth.token_invalid", nil))
				return
			}
			m, err := s.db.MemberByAPIToken(ctx, strings.TrimSpace(token))
			if err != nil {
				s.fail(c, err)
				return
			}
			if err := forum.CanLogIn(m, time.Now()); err != nil {
				s.fail(c, err)
				return
			}
			member = m
		} else if token, err := c.Cookie(SessionCookie); err == nil && token != "" {
			sess, m, refreshed, err := s.db.SessionMember(ctx, token)
			switch {
			case forum.ErrorCode(err) == forum.EUNAUTHORIZED:
				s.clearSessionCookie(c)
			case err != nil:
				s.fail(c, err)
				return
			case m.IsSuspended(time.Now()):
				if err := s.db.DeleteMemberSessions(forum.WithSystem(ctx), m.ID); err != nil {
					s.fail(c, err)
					return
				}
				s.clearSessionCookie(c)
			default:
				member = m
				c.Set(ctxSessionToken, token)
				if refreshed && sess.Remember {
					s.setSessionCookie(c, token, true)
				}
			}
		}
		if member != nil {
			if err := s.db.TouchMember(ctx, member.ID, member.LastSeenAt); err != nil {
				s.fail(c, err)
				return
			}
		}
		c.Request = c.Request.WithContext(forum.WithMember(ctx, member))
		if member != nil {
			// What a member is answered is theirs (their messages, their
			// notifications, what they may see): no shared cache keeps it.
			// A handler may set its own (no-store for a secret, an
			// uploaded file's long private caching).
			c.Header("Cache-Control", memberCacheControl)
		}
		c.Next()
	}
}

// memberCacheControl is the Cache-Control of what is answered to a member.
const memberCacheControl = "private, no-cache"

// writeBarrier keeps a request that may write (anything but GET, HEAD and
// OPTIONS) from being answered before what it changed of the credentials
// is seen on this instance, so that the next request, whoever makes it,
// sees it:
//
//   - a member's request changes, of what the authentication reads, their
//     own credentials only (their sessions and tokens, profile, badge),
//     which are forgotten here when it ends. The notifications it gives
//     others are announced to every instance, and their recipients are not
//     waiting for this answer;
//   - an anonymous request (logging in, resetting a password, which closes
//     the member's other sessions) or a staff member's (a ban, a role) may
//     change anyone's: it is answered once this instance has heard the
//     announcements of its changes (forum.DB.SettleWrite).
//
// So whoever logs out, revokes a token or bans a member is answered only
// after the change is seen here. Routes classified keepsCredentials in
// writeRoutes (server/write_routes.go) skip both.
func (s *Server) writeBarrier() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		defer func() {
			if writeRoutes[c.Request.Method+" "+c.FullPath()] == keepsCredentials {
				return
			}
			// authenticate, further down the chain, put the actor there.
			ctx := c.Request.Context()
			if m := forum.MemberFrom(ctx); m != nil && !m.IsStaff() {
				s.db.ForgetMember(m.ID)
			} else {
				s.db.SettleWrite(ctx)
			}
		}()
		c.Next()
	}
}

// setSessionCookie gives the browser its session: HttpOnly (no script reads
// it), SameSite=Lax (not sent on cross-site posts), Secure when the site is
// https. A "remember me" cookie persists for the session's lifetime; a plain
// one ends with the browser (and its session after 12 idle hours anyway).
func (s *Server) setSessionCookie(c *gin.Context, token string, remember bool) {
	ck := &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure(),
	}
	if remember {
		ck.MaxAge = int(forum.RememberSessionLifetime / time.Second)
	}
	http.SetCookie(c.Writer, ck)
}

// KnownDeviceCookie names the cookie that tells the log-in which account
// this browser logged in to before (forum.DB.KnownDeviceCookie).
const KnownDeviceCookie = "palabre_device"

// setKnownDeviceCookie keeps the known-device cookie for a year: HttpOnly,
// SameSite=Lax, and sent to the log-in routes only.
func (s *Server) setKnownDeviceCookie(c *gin.Context, value string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: KnownDeviceCookie, Value: value, Path: "/login", MaxAge: int(forum.KnownDeviceLifetime / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure(),
	})
}

func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure(),
	})
}
