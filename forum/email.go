package forum

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// EmailMaxLength is the longest address that SMTP can carry (RFC 5321), in bytes.
const EmailMaxLength = 254

// NormalizeEmail checks that raw is a bare address (no display name, no angle
// brackets, no comment, no quoted local part, a domain name with a dot) and
// returns it trimmed, with the domain lower-cased and the local part as typed.
func NormalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > EmailMaxLength || !utf8.ValidString(s) {
		return "", emailInvalid()
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", emailInvalid()
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	// Quoted local parts and address literals are valid but only ever seen
	// in attacks and tests; a domain without a dot cannot receive mail from
	// the Internet.
	if len(local) > 64 || strings.ContainsRune(local, '"') ||
		strings.HasPrefix(domain, "[") || !strings.Contains(domain, ".") {
		return "", emailInvalid()
	}
	return local + "@" + strings.ToLower(domain), nil
}

// EmailKey returns the form of a normalised address used for uniqueness and
// look-ups: wholly lower-cased, since no real mailbox differs only by case.
func EmailKey(addr string) string {
	return strings.ToLower(addr)
}

func emailInvalid() error {
	return Errorf(EINVALID, "member.email_invalid", nil).OnField("email")
}
