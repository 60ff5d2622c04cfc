package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// langCookieMaxAge keeps a visitor's choice of language for a year.
const langCookieMaxAge = 365 * 24 * 3600

// htmlSetLanguage remembers the language a visitor chose (a cookie; a
// member's own setting, on the account page, still comes first) and goes
// back to the page they were on. A GET link, so that it works without
// JavaScript and without a form on every page; it only sets a preference.
func (s *Server) htmlSetLanguage(c *gin.Context) {
	code := c.Param("code")
	if !isLang(code) {
		s.notFoundHandler(c)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: "lang", Value: strings.ToLower(code), Path: "/", MaxAge: langCookieMaxAge,
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	next := localPath(c.Query("next"))
	if next == "" {
		next = refererPath(c)
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, next)
}

// refererPath returns the path of the page the visitor came from when it is
// on this site (the footer links carry no path, so that no page echoes its
// own URL), "/" otherwise.
func refererPath(c *gin.Context) string {
	u, err := url.Parse(c.GetHeader("Referer"))
	if err != nil || u.Host != c.Request.Host || localPath(u.RequestURI()) == "" {
		return "/"
	}
	return u.RequestURI()
}

// otherLanguages lists the languages a reader may switch to from the page.
func (v *View) OtherLanguages() []string {
	var out []string
	for _, t := range supportedLanguages {
		if code := t.String(); code != v.Code {
			out = append(out, code)
		}
	}
	return out
}
