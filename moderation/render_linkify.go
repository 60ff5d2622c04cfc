package moderation

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// quickLinkify is goldmark's linkify parser (bare URLs and e-mail
// addresses become links), faster, and a reader of plain text.
//
// goldmark calls it at every space of the text, at the start of each line
// and after each inline node (the trigger ' '), and at '*', '_', '~' and
// '('. The linkify parser can only match words that start with a protocol
// or "www.", or e-mail addresses, whose local part is followed by an @:
// mayLink tells them from the others without it. Then linkify does what
// goldmark's parser does, but reads URLs without its regular expressions
// (matchURL), which took a tenth of the rendering time for two URLs.
//
// Where no link starts, quickLinkify returns the plain text that follows as
// one Text node (see plainRun), up to where goldmark must look again: the
// next character another inline parser acts on, or the next space before a
// possible link. Otherwise goldmark would stop at each space to ask again,
// and cut each line in two Text nodes: an eighth of the rendering time.
// The HTML is the same (TestRenderMatchesGoldmark).
type quickLinkify struct{}

// Trigger is the linkify parser's: ' ' stands for any white space and the
// start of a line.
func (quickLinkify) Trigger() []byte { return []byte{' ', '*', '_', '~', '('} }

func (quickLinkify) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, segment := block.PeekLine()
	if len(line) == 0 {
		return nil
	}
	rest := line
	switch line[0] {
	case ' ', '*', '_', '~', '(':
		rest = line[1:] // the trigger character, as linkifyParser skips it
	}
	if mayLink(rest) {
		return linkify(parent, block, pc)
	}
	n := plainRun(line)
	if n == 0 || segment.Padding != 0 || pc.IsInLinkLabel() || !plainRunsAllowed(parent, block.Source(), pc) {
		return nil
	}
	block.Advance(n)
	return ast.NewTextSegment(segment.WithStop(segment.Start + n))
}

// mayLink reports whether goldmark's linkify parser may find a link at the
// start of s (after the trigger character).
func mayLink(s []byte) bool {
	if mayLinkURL(s) {
		return true
	}
	// As util.FindEmailIndex: a local part of at most 64 bytes, then @.
	for i, c := range s {
		switch {
		case i > 64:
			return false
		case c == '@':
			return true
		case !emailLocalBytes[c]:
			return false
		}
	}
	return false
}

// plainRun returns the length of the plain text at the start of line, which
// starts at a space or a plain byte: what goldmark would only copy to a
// Text node. It stops
//
//   - before a byte an inline parser is triggered by (plainBytes), a
//     backslash, a control character, a line end or a tab;
//   - before spaces that other white space or the end of the line follow,
//     which goldmark trims (or makes a hard line break of);
//   - at the last space before a word that mayLink, where goldmark must try
//     the linkify parser;
//   - before the last byte of the line (or the start of its last
//     character): advancing to the very end of a line would make goldmark's
//     reader move to the next one.
//
// Each byte is looked at a bounded number of times, here and in the calls
// goldmark makes after the run: no quadratic time on long runs of spaces.
func plainRun(line []byte) int {
	if len(line) < 2 || line[0] == ' ' && !plainBytes[line[1]] {
		return 0 // more spaces, or what a parser must see: goldmark goes on
	}
	i := 0
	word := -1 // the start of the word being read, after a space of the run
	for i < len(line) {
		c := line[i]
		if c != ' ' {
			if !plainBytes[c] {
				// The word may be the local part of an e-mail address that
				// goes on past this byte (@ is not plain).
				if word >= 0 && mayLink(line[word:]) {
					return word - 1
				}
				return i
			}
			i++
			continue
		}
		j := i + 1
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j == len(line) || util.IsSpace(line[j]) {
			return i
		}
		// A word read to its end is no e-mail address (no @ in it): only
		// a URL can start here.
		if mayLinkURL(line[j:]) {
			return j - 1
		}
		i, word = j, j
	}
	for i--; i > 0 && line[i]&0xC0 == 0x80; i-- {
	}
	return i
}

// plainBytes are the bytes that no inline parser of markdown is triggered
// by, but for the space: letters, digits, bytes of non-ASCII characters and
// the punctuation that only means itself. Not in it: the triggers of the
// parsers (TestPlainBytesTriggerNothing), the backslash (an escape changes
// how goldmark reads the next byte), & (an entity must stay in one Text
// node to be decoded), white space and control characters.
var plainBytes = func() (t [256]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf ||
			strings.IndexByte(`"#$%'),+-./:;=>?^{|}`, byte(c)) >= 0
	}
	return t
}()

// plainRunsKey holds, in the parser context, whether the block being
// parsed may be read in plain runs.
var plainRunsKey = parser.NewContextKey()

type plainRunsState struct {
	block   ast.Node
	allowed bool
}

// plainRunsAllowed reports whether the text of block (the block whose
// inlines are being parsed) has no backslash: goldmark carries the state
// "the previous byte was an escaping backslash" over inline nodes, so that
// a node ending after a backslash would change how the following byte is
// read. It is computed once per block.
func plainRunsAllowed(block ast.Node, source []byte, pc parser.Context) bool {
	st, _ := pc.Get(plainRunsKey).(*plainRunsState)
	if st != nil && st.block == block {
		return st.allowed
	}
	if st == nil {
		st = new(plainRunsState)
		pc.Set(plainRunsKey, st)
	}
	st.block, st.allowed = block, true
	lines := block.Lines()
	for i := range lines.Len() {
		if seg := lines.At(i); bytes.IndexByte(seg.Value(source), '\\') >= 0 {
			st.allowed = false
			break
		}
	}
	return st.allowed
}

// mayLinkURL reports whether s starts as a URL goldmark's linkify parser
// may link.
func mayLinkURL(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	switch s[0] {
	case 'h':
		return bytes.HasPrefix(s, []byte("http:")) || bytes.HasPrefix(s, []byte("https:"))
	case 'f':
		return bytes.HasPrefix(s, []byte("ftp:"))
	case 'w':
		return bytes.HasPrefix(s, []byte("www."))
	}
	return false
}

// emailLocalBytes are the bytes that may appear in the local part of an
// e-mail address, as goldmark's linkify reads it.
var emailLocalBytes = func() (t [256]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", byte(c)) >= 0
	}
	return t
}()

// linkify is goldmark's linkifyParser.Parse (extension/linkify.go, goldmark
// 1.8.7) with its default configuration, but for matchURL and matchWWW,
// which stand for its regular expressions.
func linkify(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	if pc.IsInLinkLabel() {
		return nil
	}
	line, segment := block.PeekLine()
	consumes := 0
	start := segment.Start
	c := line[0]
	// advance if current position is not a line head.
	if c == ' ' || c == '*' || c == '_' || c == '~' || c == '(' {
		consumes++
		start++
		line = line[1:]
	}

	stop := -1 // the end of the link in line, m[1] in goldmark
	var protocol []byte
	typ := ast.AutoLinkURL
	if bytes.HasPrefix(line, []byte("http:")) || bytes.HasPrefix(line, []byte("https:")) || bytes.HasPrefix(line, []byte("ftp:")) {
		stop = matchURL(line)
	}
	if stop < 0 && bytes.HasPrefix(line, []byte("www.")) {
		stop = matchWWW(line)
		protocol = []byte("http")
	}
	if stop < 0 {
		if len(line) > 0 && util.IsPunct(line[0]) {
			return nil
		}
		typ = ast.AutoLinkEmail
		stop = util.FindEmailIndex(line)
		if stop < 0 {
			return nil
		}
		at := bytes.IndexByte(line, '@')
		if bytes.IndexByte(line[at:stop-1], '.') < 0 {
			return nil
		}
		if line[stop-1] == '.' {
			stop--
		}
		if stop < len(line) {
			if next := line[stop]; next == '-' || next == '_' {
				return nil
			}
		}
	}
	if consumes != 0 {
		s := segment.WithStop(segment.Start + 1)
		ast.MergeOrAppendTextSegment(parent, s)
	}
	opening := bytes.Count(line[:stop], []byte{'('})
	closing := bytes.Count(line[:stop], []byte{')'})
	i := stop
	for i > 1 {
		switch line[i-1] {
		case '?', '!', '.', ',', ':', '*', '_', '~':
			i--
		case ')':
			if closing <= opening {
				goto endfor
			}
			closing--
			i--
		case ';':
			j := i - 2
			for ; j > 0; j-- {
				if util.IsAlphaNumeric(line[j]) {
					continue
				}
				break
			}
			if j == i-2 || line[j] != '&' {
				goto endfor
			}
			i = j
		default:
			goto endfor
		}
	}
endfor:
	consumes += i
	block.Advance(consumes)
	n := ast.NewTextSegment(text.NewSegment(start, start+i))
	link := ast.NewAutoLink(typ, n)
	link.Protocol = protocol
	return link
}

// The character classes of goldmark's linkify expressions:
//
//	urlRegexp   ^(?:http|https|ftp)://HOST{1,256}\.[a-z]+(?::\d+)?(?:[/#?]URLPATH*)?
//	wwwURLRegxp ^www\.HOST{1,256}\.[a-z]+(?:[/#?]WWWPATH*)?
var (
	hostBytes    = byteClass(`[-a-zA-Z0-9@:%._\+~#=]`)
	urlPathBytes = byteClass(`[-a-zA-Z0-9@:%_+.~#$!?&/=\(\);,'">\^{}\[\]` + "`" + `]`)
	wwwPathBytes = byteClass(`[-a-zA-Z0-9@:%_\+.~#!?&/=\(\);,'">\^{}\[\]` + "`" + `]`)
)

// byteClass returns the ASCII bytes that the regular expression class
// matches (no other byte starts a character it matches).
func byteClass(class string) (t [256]bool) {
	re := regexp.MustCompile(`^` + class + `$`)
	for c := range utf8.RuneSelf {
		t[c] = re.MatchString(string(rune(c)))
	}
	return t
}

// matchURL returns where goldmark's urlRegexp match at the start of s ends,
// or -1. The expression is read as Go's regexp does (leftmost-first): the
// host takes the longest run of host bytes that ends before a dot followed
// by a lower-case letter, within 256 bytes; then the letters, the port and
// the path each take all they can, having nothing after them to leave room
// for.
func matchURL(s []byte) int {
	var i int
	switch {
	case bytes.HasPrefix(s, []byte("http://")):
		i = len("http://")
	case bytes.HasPrefix(s, []byte("https://")):
		i = len("https://")
	case bytes.HasPrefix(s, []byte("ftp://")):
		i = len("ftp://")
	default:
		return -1
	}
	i = matchHost(s, i)
	if i < 0 {
		return -1
	}
	if i+1 < len(s) && s[i] == ':' && isDigit(s[i+1]) {
		for i += 2; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	return matchPath(s, i, &urlPathBytes)
}

// matchWWW is matchURL for goldmark's wwwURLRegxp.
func matchWWW(s []byte) int {
	if !bytes.HasPrefix(s, []byte("www.")) {
		return -1
	}
	i := matchHost(s, len("www."))
	if i < 0 {
		return -1
	}
	return matchPath(s, i, &wwwPathBytes)
}

// matchHost matches HOST{1,256}\.[a-z]+ at s[from:] and returns where it
// ends, or -1.
func matchHost(s []byte, from int) int {
	end := from
	for end < len(s) && end-from < 256 && hostBytes[s[end]] {
		end++
	}
	// The dot is a host byte too: the last one followed by a letter ends
	// the host, at most 256 bytes in (so it may be the 257th byte).
	dot := -1
	for d := min(end, from+256); d > from; d-- {
		if d+1 < len(s) && s[d] == '.' && 'a' <= s[d+1] && s[d+1] <= 'z' {
			dot = d
			break
		}
	}
	if dot < 0 {
		return -1
	}
	i := dot + 1
	for i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
		i++
	}
	return i
}

// matchPath matches (?:[/#?]PATH*)? at s[i:] and returns where it ends.
func matchPath(s []byte, i int, path *[256]bool) int {
	if i < len(s) && (s[i] == '/' || s[i] == '#' || s[i] == '?') {
		for i++; i < len(s) && path[s[i]]; i++ {
		}
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
