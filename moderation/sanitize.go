package moderation

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// The two sanitizing policies, built once: a bluemonday.Policy is safe for
// concurrent use once built.
var (
	textPolicy  = newSanitizePolicy(false)
	imagePolicy = newSanitizePolicy(true)
)

// Sanitize returns html keeping only what member posts may contain: the
// elements rendered from Markdown, links to http, https, mailto and the
// forum's own pages, images only when allowImages, and inputs only as task
// list checkboxes. Every link gets rel="nofollow ugc noopener".
// Sanitize(Sanitize(x)) == Sanitize(x).
func Sanitize(html string, allowImages bool) string {
	p := textPolicy
	if allowImages {
		p = imagePolicy
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<16 {
			renderBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if err := p.SanitizeReaderToWriter(strings.NewReader(html), finishingWriter{buf: buf}); err != nil {
		return "" // as bluemonday's Sanitize: only a tokenizer failure, never seen
	}
	return buf.String()
}

// finishingWriter receives bluemonday's output tag by tag and does the
// three things a bluemonday policy cannot express:
//
//   - rel="nofollow ugc noopener" on links. bluemonday writes
//     rel="nofollow" on every link (RequireNoFollowOnLinks) and knows no
//     "ugc"; a rel of the input is dropped first, and other attribute
//     values have their quotes escaped, so this exact text in an <a> tag
//     can only be the attribute it wrote;
//   - inputs only as the disabled checkboxes of task lists, exactly as
//     goldmark writes them: no text field, no enabled control;
//   - no image without a source (its src was not allowed).
//
// It relies on bluemonday writing each token with one call. It does not
// embed the buffer: a Write that bypassed the filter would lose all three
// silently.
type finishingWriter struct{ buf *bytes.Buffer }

var taskCheckboxes = []string{
	`<input checked="" disabled="" type="checkbox">`,
	`<input disabled="" type="checkbox">`,
}

func (w finishingWriter) WriteString(s string) (int, error) {
	if len(s) == 0 || s[0] != '<' {
		return w.buf.WriteString(s) // text
	}
	switch {
	case strings.HasPrefix(s, "<a "):
		const rel = ` rel="nofollow"`
		if i := strings.Index(s, rel); i >= 0 {
			w.buf.WriteString(s[:i])
			w.buf.WriteString(` rel="nofollow ugc noopener"`)
			w.buf.WriteString(s[i+len(rel):])
			return len(s), nil
		}
	case strings.HasPrefix(s, "<input") && !slices.Contains(taskCheckboxes, s),
		strings.HasPrefix(s, "<img") && !strings.Contains(s, ` src="`):
		return len(s), nil
	}
	return w.buf.WriteString(s)
}

// Write is WriteString for a token given as bytes; bluemonday v1.0.27
// writes every token with WriteString.
func (w finishingWriter) Write(p []byte) (int, error) { return w.WriteString(string(p)) }

var (
	// linkHref: absolute http, https and mailto URLs, and paths on this
	// site ("/u/name", "/p/12"). Not "//host" nor "/\host", which browsers
	// read as another host. The value is checked after entity decoding.
	linkHref = regexp.MustCompile(`^(?i:https?:|mailto:)|^/(?:[^/\\]|$)`)
	// imageSrc: images load from http and https hosts (no data:), or are
	// the forum's own re-encoded uploads (/uploads/<sha256>.<ext>); no
	// other relative path, which could hit the forum's own endpoints. A
	// host is required: bluemonday rewrites "https://" as "https:".
	imageSrc = regexp.MustCompile(`^(?:(?i:https?)://[^/?#\\@\s]|/uploads/[0-9a-f]{64}\.(?:png|jpg|gif)$)`)
)

// newSanitizePolicy builds the allow-list policy. It starts from nothing
// (bluemonday.NewPolicy), so anything not listed here is removed: scripts,
// styles, event handlers, forms, iframes, SVG and MathML.
func newSanitizePolicy(allowImages bool) *bluemonday.Policy {
	p := bluemonday.NewPolicy()

	// URLs must parse; schemes are limited to these three; relative URLs are
	// kept, but linkHref only lets through those that start with one "/".
	p.RequireParseableURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	// Member links pass no ranking; finishingWriter completes the rel.
	p.RequireNoFollowOnLinks(true)

	p.AllowElements("p")                             // paragraphs
	p.AllowElements("br")                            // hard line breaks ("two spaces" or "\" at end of line)
	p.AllowElements("strong", "em")                  // **bold** and *emphasis*
	p.AllowElements("del")                           // ~~strikethrough~~
	p.AllowElements("code", "pre")                   // `code` spans and fenced blocks
	p.AllowElements("blockquote")                    // > quotes and [quote] blocks
	p.AllowElements("ul", "ol", "li")                // lists
	p.AllowElements("h3", "h4", "h5", "h6")          // headings, demoted below the page's h1 and h2
	p.AllowElements("hr")                            // thematic breaks
	p.AllowElements("table", "thead", "tbody", "tr") // GFM tables
	p.AllowElements("th", "td")                      // table cells

	// [quote] blocks: the class styles them, data-post links them to the post.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^quote$`)).OnElements("blockquote")
	p.AllowAttrs("data-post").Matching(regexp.MustCompile(`^[0-9]{1,18}$`)).OnElements("blockquote")
	// The first line of a [quote] block names its author.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^quote-source$`)).OnElements("p")
	// Fenced code keeps its language, for highlighting.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]{1,32}$`)).OnElements("code")
	// Ordered lists may start at another number ("3. third").
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	// Column alignment of tables, as an attribute: no style attribute anywhere.
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(?:left|center|right)$`)).OnElements("th", "td")
	// Task lists ("- [x] done") render a disabled checkbox; no other input.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^(?:|checked|disabled)$`)).OnElements("input")

	// Links: where they go, their title, and the class of @mentions.
	p.AllowAttrs("href").Matching(linkHref).OnElements("a")
	p.AllowAttrs("title").OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^mention$`)).OnElements("a")

	if allowImages {
		// Images, for the members trusted with them.
		p.AllowAttrs("src").Matching(imageSrc).OnElements("img")
		p.AllowAttrs("alt", "title").OnElements("img")
	}
	return p
}
