package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

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
	if s := firstLetters(name); s != "" {
		return s
	}
	if s := firstLetters(username); s != "" {
		return s
	}
	return "?"
}

// firstLetters is the first character of each of the first two words of s
// (runs of letters and digits), upper-case; read in one pass, as every post
// of a page asks for its author's.
func firstLetters(s string) string {
	var out [2]rune
	n, inWord := 0, false
	for _, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if word && !inWord {
			out[n] = unicode.ToUpper(r)
			if n++; n == len(out) {
				break
			}
		}
		inWord = word
	}
	return string(out[:n])
}

// avatarColour derives a colour from the username, the same on every page
// and instance: the 32-bit FNV-1a hash of the lower-cased username (as
// hash/fnv's New32a, computed in place).
func avatarColour(username string) int {
	const offset32, prime32 = 2166136261, 16777619
	h := uint32(offset32)
	for _, c := range []byte(strings.ToLower(username)) {
		h ^= uint32(c)
		h *= prime32
	}
	return int(h % avatarColours)
}

// avatarPalette are the generated avatars' colours, the same as the
// .avatar-cN classes of static/css/palabre.css (TestAvatarPaletteMatchesCSS).
var avatarPalette = [avatarColours]string{"#b91c1c", "#c2410c", "#a16207", "#15803d", "#047857", "#0f766e",
	"#0e7490", "#1d4ed8", "#4338ca", "#6d28d9", "#a21caf", "#be123c"}

// avatarImage is a member's avatar beside what they wrote (posts, lists,
// notifications): an <img> of their uploaded picture or of their generated
// avatar, whose URL (generatedAvatarURL) is the same for every member with
// the same initials and colour and cached for good by browsers, so that a
// page of posts by a few members costs a few small requests once, and
// nothing inline per post.
type avatarImage struct {
	Size   int    // side in CSS pixels
	Src    string //
	Srcset string // the image at twice the size, "" for none
}

// newAvatarImage is the avatar of a member at side pixels.
func newAvatarImage(username, name string, a forum.Avatar, side int) avatarImage {
	v := avatarImage{Size: side}
	if len(a) > 0 {
		v.Src = a.URL(side)
		if x2 := a.URL(2 * side); x2 != v.Src {
			v.Srcset = x2 + " 2x"
		}
		return v
	}
	v.Src = generatedAvatarURL(initials(name, username), avatarColour(username))
	return v
}

// pageAvatars makes the avatars of a page's post authors, each author's
// once: a page shows a few authors many times, and an uploaded avatar is
// parsed from the post's row each time it is asked for.
type pageAvatars struct {
	side  int
	names []string
	imgs  []avatarImage
}

// newPageAvatars makes the avatars of a page of posts, room for one author
// each (a page by as many authors as posts grows nothing).
func newPageAvatars(side, posts int) *pageAvatars {
	return &pageAvatars{side: side, names: make([]string, 0, posts), imgs: make([]avatarImage, 0, posts)}
}

// of is the avatar of a post's author (username: AuthorName).
func (a *pageAvatars) of(p *forum.Post, username string) avatarImage {
	for i, n := range a.names {
		if n == username {
			return a.imgs[i]
		}
	}
	img := newAvatarImage(username, p.AuthorDisplayName, forum.ParseAvatar(p.AuthorAvatar), a.side)
	a.names, a.imgs = append(a.names, username), append(a.imgs, img)
	return img
}

// generatedAvatarURL is the address of a generated avatar (serveGeneratedAvatar).
func generatedAvatarURL(initials string, colour int) string {
	return "/avatars/c" + strconv.Itoa(colour) + "-" + url.PathEscape(initials) + ".svg"
}

// generatedAvatarSide is the side of a generated avatar's drawing, scaled
// by the <img> to whatever size a page shows it at.
const generatedAvatarSide = 96

// serveGeneratedAvatar answers /avatars/cN-INITIALS.svg: the initials, in
// white, on colour N. What it draws depends on the address alone, so it is
// cached for good; the initials are one or two letters or digits (or "?"),
// nothing else is drawn.
func (s *Server) serveGeneratedAvatar(c *gin.Context) {
	name, ok := strings.CutSuffix(c.Param("file"), ".svg")
	colourText, text, ok2 := strings.Cut(strings.TrimPrefix(name, "c"), "-")
	colour, err := strconv.Atoi(colourText)
	if !ok || !ok2 || !strings.HasPrefix(name, "c") || err != nil || colour < 0 || colour >= avatarColours || !validInitials(text) {
		c.Status(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	side := strconv.Itoa(generatedAvatarSide)
	half := strconv.Itoa(generatedAvatarSide / 2)
	c.String(http.StatusOK, `<svg xmlns="http://www.w3.org/2000/svg" width="`+side+`" height="`+side+`" viewBox="0 0 `+side+` `+side+`">`+
		`<rect width="`+side+`" height="`+side+`" fill="`+avatarPalette[colour]+`"/>`+
		`<text x="`+half+`" y="`+half+`" dy=".35em" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="40" font-weight="600" fill="#fff">`+
		html.EscapeString(text)+`</text></svg>`)
}

// validInitials: what initials makes, "?" or one or two letters or digits.
func validInitials(s string) bool {
	if s == "?" {
		return true
	}
	n := 0
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
		n++
	}
	return n >= 1 && n <= 2 && utf8.ValidString(s)
}

// jsonAvatarSide is the side, in pixels, of the avatar the JSON API gives
// (avatar_url): enough for a client's post or list at twice its size.
const jsonAvatarSide = 96

// avatarURLs are the avatars' addresses of members by id and username, for
// the JSON API (see memberAvatars): "" for a former member.
func (s *Server) avatarURLs(ctx context.Context, ids []int64, usernames []string) []string {
	out := make([]string, len(ids))
	for i, a := range s.memberAvatars(ctx, ids, usernames, jsonAvatarSide) {
		out[i] = a.Src
	}
	return out
}

// listAvatarSide is the side, in CSS pixels, of the avatars in lists
// (threads, notifications).
const listAvatarSide = 32

// memberAvatars are the avatars of members by id and username, at side
// pixels, for a list: one query for those not in forum.Faces' cache. An
// error leaves the list without avatars (logged): they are decoration.
func (s *Server) memberAvatars(ctx context.Context, ids []int64, usernames []string, side int) []avatarImage {
	out := make([]avatarImage, len(ids))
	var want []int64
	for _, id := range ids {
		if id != 0 {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return out
	}
	faces, err := s.db.Faces(ctx, want)
	if err != nil {
		s.log.Warn("reading members' avatars", "error", err)
		return out
	}
	for i, id := range ids {
		if f, ok := faces[id]; ok && id != 0 {
			out[i] = newAvatarImage(usernames[i], f.DisplayName, f.Avatar, side)
		}
	}
	return out
}

// threadAvatars are the avatars of the authors of threads, Src "" for a
// former member.
func (s *Server) threadAvatars(ctx context.Context, threads []forum.Thread) []avatarImage {
	ids, names := make([]int64, len(threads)), make([]string, len(threads))
	for i := range threads {
		if threads[i].AuthorID != nil && threads[i].AuthorName != nil {
			ids[i], names[i] = *threads[i].AuthorID, *threads[i].AuthorName
		}
	}
	return s.memberAvatars(ctx, ids, names, listAvatarSide)
}
