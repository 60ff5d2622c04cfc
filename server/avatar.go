package server

import (
	"hash/fnv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/palabre/palabre/forum"
)

// avatarColours is how many background colours generated avatars use
// (.avatar-c0 … in static/css/palabre.css, each dark enough for white
// initials).
const avatarColours = 12

// avatarView is what the "avatar" partial (templates/_avatar.html) shows:
// the uploaded picture, or the generated avatar. A generated avatar is the
// member's initials on a colour derived from their name, written in the
// page as text with a class: no request, no image to decode, nothing
// served from the forum that a browser could run, and within the
// Content-Security-Policy (no inline style: the colour is a class).
type avatarView struct {
	Size     int    // side in CSS pixels
	URL      string // the uploaded avatar at Size, "" for the generated one
	URL2x    string // the same at twice the size, for dense screens
	Initials string
	Colour   int // 0 … avatarColours-1
}

// newAvatarView is the avatar of a member at side pixels.
func newAvatarView(username, name string, a forum.Avatar, side int) avatarView {
	v := avatarView{Size: side, Initials: initials(name, username), Colour: avatarColour(username)}
	if len(a) > 0 {
		v.URL, v.URL2x = a.URL(side), a.URL(2*side)
		if v.URL2x == v.URL {
			v.URL2x = ""
		}
	}
	return v
}

// initials are the first letters of the first two words of name (of the
// username when the name has none), upper-case.
func initials(name, username string) string {
	pick := func(s string) string {
		words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		var out []rune
		for _, w := range words {
			r, _ := utf8.DecodeRuneInString(w)
			out = append(out, unicode.ToUpper(r))
			if len(out) == 2 {
				break
			}
		}
		return string(out)
	}
	if s := pick(name); s != "" {
		return s
	}
	if s := pick(username); s != "" {
		return s
	}
	return "?"
}

// avatarColour derives a colour from the username, the same on every page
// and instance.
func avatarColour(username string) int {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(username)))
	return int(h.Sum32() % avatarColours)
}
