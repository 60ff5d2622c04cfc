package server

import (
	"net/url"
	"strings"
)

// localPath returns p when it is a path on this site, "" otherwise: a
// ?next= or a Referer must never send anyone to another site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return ""
	}
	return p
}

// safeNext is where a log-in goes on: a local path that is not the log-in
// pages themselves, "/" otherwise.
func safeNext(next string) string {
	p := localPath(next)
	if p == "" {
		return "/"
	}
	if u, _ := url.Parse(p); u.Path == "/login" || u.Path == "/logout" || u.Path == "/signup" {
		return "/"
	}
	return p
}
