package forum

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.mau.fi/util/confusable"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Bounds of a username, in runes after PRECIS normalisation.
const (
	UsernameMinLength = 3
	UsernameMaxLength = 20
)

const (
	// usernameMaxInputBytes refuses absurd input before any Unicode work is
	// spent on it; generous, as a decomposed name shrinks under NFC.
	usernameMaxInputBytes = 256
	// usernameMaxMarks bounds the combining marks on one letter: enough for
	// Indic, Thai or Vietnamese, too few for "Zalgo" text.
	usernameMaxMarks = 3
)

// reservedUsernames may not be registered, nor anything that looks like them.
var reservedUsernames = []string{
	"admin", "administrator", "admins", "moderator", "moderators", "mod", "mods",
	"staff", "team", "support", "help", "official", "security", "abuse",
	"system", "palabre", "root", "owner", "webmaster", "postmaster", "hostmaster",
	"noreply", "no-reply", "anonymous", "guest", "deleted", "nobody", "everyone",
	"null", "undefined", "api", "static", "assets", "new", "me", "about", "login",
	"logout", "register", "signup", "signin", "settings", "account", "search",
	"feed", "rss", "members", "threads", "categories",
}

// reservedUsernameSet holds the reserved names and their skeletons, so that
// "аdmin" (Cyrillic а), "ADMlN" and "adm1n" are refused along with "admin".
var reservedUsernameSet = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 2*len(reservedUsernames))
	for _, name := range reservedUsernames {
		set[name] = struct{}{}
		set[UsernameSkeleton(name)] = struct{}{}
	}
	return set
})

// NormalizeUsername returns the canonical, lower-cased form of a username
// (PRECIS UsernameCaseMapped, RFC 8265): the key for uniqueness and look-ups.
func NormalizeUsername(raw string) (string, error) {
	_, canonical, err := usernameForms(raw)
	return canonical, err
}

// DisplayUsername returns a username as it is shown, case preserved (PRECIS
// UsernameCasePreserved), after the same checks as NormalizeUsername.
func DisplayUsername(raw string) (string, error) {
	display, _, err := usernameForms(raw)
	return display, err
}

// UsernameSkeleton returns the key under which look-alike usernames collide:
// the UTS #39 confusable skeleton, lower-cased, with i folded into l and the
// separators _ - . dropped. It is a key for comparison, never for display.
//
// UTS #39 maps 0 to O, 1 and I to l, m to rn: after lower-casing, "g00gle"
// collides with "google", "paypa1" and "payраl" with "paypal", "rnike" with
// "mike"; other digits (5 and S, 8 and B) stay apart. Folding i into l keeps
// the key independent of the case a member shows: "ian" may be displayed
// "Ian", which reads as "lan". The skeleton is taken twice because
// lower-casing a prototype can give a letter that has one itself (M, m, rn).
// Dropping separators makes "john.doe", "john_doe" and "johndoe" one name.
// NFKC first folds compatibility forms (fullwidth "ｂｏｂ", ligatures).
// The canonical form is the stable input; the display form catches a few
// more look-alikes that exist only in upper case (Cyrillic В and Latin B).
func UsernameSkeleton(name string) string {
	s := strings.ToLower(confusable.Skeleton(norm.NFKC.String(name)))
	s = strings.ToLower(confusable.Skeleton(s))
	return strings.Map(func(r rune) rune {
		switch {
		case isUsernameSeparator(r):
			return -1
		case r == 'i':
			return 'l'
		}
		return r
	}, s)
}

// usernameForms checks raw and returns its display and canonical forms.
func usernameForms(raw string) (display, canonical string, err error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", "", usernameError("member.username_too_short", map[string]any{"Min": UsernameMinLength})
	case len(raw) > usernameMaxInputBytes:
		return "", "", usernameError("member.username_too_long", map[string]any{"Max": UsernameMaxLength})
	case !utf8.ValidString(raw):
		return "", "", usernameError("member.username_invalid", nil)
	}
	// PRECIS refuses control and format characters (RTL override, zero-width
	// joiners out of context), spaces, symbols and mixed-direction names.
	if display, err = precis.UsernameCasePreserved.String(raw); err != nil {
		return "", "", usernameError("member.username_invalid", nil)
	}
	if canonical, err = precis.UsernameCaseMapped.String(raw); err != nil {
		return "", "", usernameError("member.username_invalid", nil)
	}
	if !validUsernameRunes(display) || !validUsernameRunes(canonical) {
		return "", "", usernameError("member.username_invalid", nil)
	}
	short, long := utf8.RuneCountInString(display), utf8.RuneCountInString(canonical)
	if short > long {
		short, long = long, short
	}
	if short < UsernameMinLength {
		return "", "", usernameError("member.username_too_short", map[string]any{"Min": UsernameMinLength})
	}
	if long > UsernameMaxLength {
		return "", "", usernameError("member.username_too_long", map[string]any{"Max": UsernameMaxLength})
	}
	if isReservedUsername(display, canonical) {
		return "", "", usernameError("member.username_reserved", nil)
	}
	return display, canonical, nil
}

// validUsernameRunes reports whether s is made of letters and digits (with
// their combining marks) joined by single separators that neither start nor
// end it.
func validUsernameRunes(s string) bool {
	const (
		atStart = iota
		afterLetter
		afterSeparator
	)
	state, marks := atStart, 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			state, marks = afterLetter, 0
		case unicode.Is(unicode.M, r):
			marks++
			if state != afterLetter || marks > usernameMaxMarks {
				return false
			}
		case isUsernameSeparator(r):
			if state != afterLetter {
				return false
			}
			state = afterSeparator
		default:
			return false
		}
	}
	return state == afterLetter
}

func isUsernameSeparator(r rune) bool { return r == '_' || r == '-' || r == '.' }

// isReservedUsername reports whether a name is reserved or looks like one.
func isReservedUsername(display, canonical string) bool {
	set := reservedUsernameSet()
	for _, key := range []string{canonical, UsernameSkeleton(display), UsernameSkeleton(canonical)} {
		if _, ok := set[key]; ok {
			return true
		}
	}
	return false
}

func usernameError(key string, args map[string]any) error {
	return Errorf(EINVALID, key, args).OnField("username")
}
