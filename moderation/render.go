package moderation

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// RenderOptions are the per-post inputs of Render.
type RenderOptions struct {
	// MemberExists reports whether @name is a member; nil means no mention is linked.
	MemberExists func(name string) bool
	// AllowImages renders Markdown images as <img>; otherwise each image
	// becomes a plain link to its URL, labelled with its alt text.
	AllowImages bool
	// Document is a page of its own (the guidelines), under the page's h1:
	// its headings start at h2. A post's start at h3, below the thread's
	// title.
	Document bool
}

// Rendered is a post's HTML and what it refers to, for the rules that follow.
type Rendered struct {
	HTML     string   // unsanitized HTML (the sanitizer runs next)
	Links    []string // absolute URLs of links and autolinks, in order
	Images   []string // image URLs
	Mentions []string // usernames mentioned (deduplicated, as written, without @), only those that exist when MemberExists is set
	Quotes   []int64  // post ids quoted ([quote=name post=N]; not [quote=name])
	// Code is where the source's inline code and code blocks are, as byte
	// ranges: watched words are not looked for there (code is quoted, not
	// said), links are (CodeLinks).
	Code []Span
	// CodeLinks are the absolute http(s) URLs written in code, which is
	// not linked: the blocked domains apply to them all the same.
	CodeLinks []string
}

// Span is a byte range of a text, from Start to End.
type Span struct{ Start, End int }

// Within reports whether the range from start to end lies in one of spans,
// which are in order.
func Within(spans []Span, start, end int) bool {
	i, _ := slices.BinarySearchFunc(spans, start, func(s Span, at int) int { return cmp.Compare(s.End, at+1) })
	return i < len(spans) && spans[i].Start <= start && end <= spans[i].End
}

// markdown converts member Markdown: GitHub-flavoured (tables, strikethrough,
// task lists, bare URLs and e-mail addresses linked by goldmark's linkify),
// raw HTML dropped (goldmark's default), soft line breaks kept soft, plus
// Palabre's own syntax (forumSyntax: mentions and quotes); Render then
// demotes headings below the page's own (demoteHeadings).
// Stock goldmark: its parser, link references and HTML renderer as they
// come. Built once: a goldmark.Markdown is safe for concurrent use.
var markdown = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.TaskList,
		extension.Linkify,
		forumSyntax{},
	),
)

// forumSyntax is the goldmark extension for what is Palabre's own: @name
// mentions (an inline parser and its renderer), [quote=name post=N]
// quotes (a block parser and its renderer).
type forumSyntax struct{}

func (forumSyntax) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(util.Prioritized(quoteParser{}, 850)),
		parser.WithInlineParsers(util.Prioritized(mentionParser{}, 600)),
	)
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(forumRenderer{}, 500)))
}

var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render converts a post's Markdown to HTML and lists its links, images,
// mentions and quotes.
func Render(markdownSource string, opt RenderOptions) Rendered {
	source := []byte(markdownSource)
	doc := markdown.Parser().Parse(text.NewReader(source))
	floor := 3
	if opt.Document {
		floor = 2
	}
	demoteHeadings(doc, floor)
	out := inspect(doc, source, opt)

	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	// Rendering into a bytes.Buffer cannot fail: goldmark only returns the
	// writer's errors.
	_ = markdown.Renderer().Render(bufferWriter{buf}, source, doc)
	out.HTML = buf.String()
	if buf.Cap() <= 1<<16 {
		renderBuffers.Put(buf)
	}
	return out
}

// bufferWriter is a bytes.Buffer as the util.BufWriter goldmark's renderer
// writes to: given a plain io.Writer, goldmark puts a new 4 KB bufio.Writer
// in front of it at every call.
type bufferWriter struct{ *bytes.Buffer }

func (w bufferWriter) Buffered() int { return w.Len() }

func (bufferWriter) Flush() error { return nil }

// inspect walks the parsed post once: it collects links, images, mentions
// and quotes, and rewrites the nodes whose rendering depends on opt
// (mentions of non-members, images when they are not allowed).
func inspect(doc ast.Node, source []byte, opt RenderOptions) Rendered {
	in := inspector{source: source, opt: opt}
	in.walk(doc)
	// The tree is rewritten after the walk, which must not see it change.
	for _, m := range in.unlinked {
		m.Parent().ReplaceChild(m.Parent(), m, ast.NewTextSegment(m.Segment))
	}
	for _, img := range in.images {
		img.Parent().ReplaceChild(img.Parent(), img, imageAsLink(img))
	}
	return in.out
}

type inspector struct {
	source    []byte
	opt       RenderOptions
	out       Rendered
	inLink    int // depth of links and images: a mention there is plain text
	unlinked  []*mentionNode
	images    []*ast.Image
	known     map[string]bool // MemberExists answers, one call per name
	mentioned map[string]bool // lower-cased names already in out.Mentions
}

// walk visits the descendants of n in document order, as ast.Walk would
// but without a call through a function value for entering and leaving
// each node (text nodes, most of them, cost one type test).
func (in *inspector) walk(n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
		case *ast.Link:
			in.inLink++
			if isAbsoluteURL(c.Destination) {
				in.out.Links = append(in.out.Links, string(c.Destination))
			}
			in.walk(c)
			in.inLink--
		case *ast.Image:
			in.inLink++
			in.out.Images = append(in.out.Images, string(c.Destination))
			if !in.opt.AllowImages {
				in.images = append(in.images, c)
			}
			in.walk(c)
			in.inLink--
		case *ast.AutoLink:
			u := string(c.URL(in.source))
			if c.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
				u = "mailto:" + u
			}
			if isAbsoluteURL([]byte(u)) {
				in.out.Links = append(in.out.Links, u)
			}
			in.walk(c)
		case *mentionNode:
			in.mention(c)
			in.walk(c)
		case *ast.CodeSpan:
			first, ok1 := c.FirstChild().(*ast.Text)
			last, ok2 := c.LastChild().(*ast.Text)
			if ok1 && ok2 {
				in.code(first.Segment.Start, last.Segment.Stop)
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			if lines := c.Lines(); lines.Len() > 0 {
				in.code(lines.At(0).Start, lines.At(lines.Len()-1).Stop)
			}
		case *quoteNode:
			if c.Post != 0 && !containsInt64(in.out.Quotes, c.Post) {
				in.out.Quotes = append(in.out.Quotes, c.Post)
			}
			in.walk(c)
		default:
			in.walk(c)
		}
	}
}

// code records the code from start to end in the source, and the links
// written there.
func (in *inspector) code(start, end int) {
	in.out.Code = append(in.out.Code, Span{start, end})
	in.out.CodeLinks = append(in.out.CodeLinks, urlsIn(in.source[start:end])...)
}

// urlsIn returns the http and https URLs written in b, each up to the
// first space, quote, bracket or backtick.
func urlsIn(b []byte) []string {
	var out []string
	for {
		i := bytes.Index(b, []byte("http"))
		if i < 0 {
			return out
		}
		b = b[i:]
		n := 0
		if len(b) > 8 && strings.EqualFold(string(b[:8]), "https://") {
			n = 8
		} else if len(b) > 7 && strings.EqualFold(string(b[:7]), "http://") {
			n = 7
		}
		if n == 0 {
			b = b[4:]
			continue
		}
		end := n + bytes.IndexFunc(b[n:], func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune("\"'<>`()[]{}", r)
		})
		if end < n {
			end = len(b)
		}
		if end > n {
			out = append(out, string(b[:end]))
		}
		b = b[end:]
	}
}

// mention asks once per name whether the member exists, and lists the
// mention or leaves it to be written as text.
func (in *inspector) mention(n *mentionNode) {
	name := n.Name(in.source)
	exists, asked := in.known[name]
	if !asked && in.inLink == 0 && in.opt.MemberExists != nil {
		exists = in.opt.MemberExists(name)
		if in.known == nil {
			in.known, in.mentioned = map[string]bool{}, map[string]bool{}
		}
		in.known[name] = exists
	}
	if in.inLink > 0 || !exists {
		in.unlinked = append(in.unlinked, n)
		return
	}
	if key := strings.ToLower(name); !in.mentioned[key] {
		in.mentioned[key] = true
		in.out.Mentions = append(in.out.Mentions, name)
	}
}

// imageAsLink returns a link to img's URL labelled with its alt text (or
// the URL when there is none), so that nothing is lost where images are
// not allowed.
func imageAsLink(img *ast.Image) *ast.Link {
	link := ast.NewLink()
	link.Destination = img.Destination
	link.Title = img.Title
	for c := img.FirstChild(); c != nil; {
		next := c.NextSibling()
		link.AppendChild(link, c)
		c = next
	}
	if !link.HasChildren() {
		link.AppendChild(link, ast.NewString(img.Destination))
	}
	return link
}

// isAbsoluteURL reports whether u is a URL the sanitizer keeps in a link
// and that leads away from the forum: http, https or mailto.
func isAbsoluteURL(u []byte) bool {
	for _, scheme := range []string{"http://", "https://", "mailto:"} {
		if len(u) > len(scheme) && strings.EqualFold(string(u[:len(scheme)]), scheme) {
			return true
		}
	}
	return false
}

func containsInt64(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// demoteHeadings raises headings below floor to it: a post's page already
// has its h1 (the site) and h2 (the thread title), floor 3; a document's
// page its h1, floor 2.
func demoteHeadings(doc ast.Node, floor int) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if h, ok := n.(*ast.Heading); ok {
			h.Level = max(h.Level, floor)
			return ast.WalkSkipChildren, nil
		}
		if n.Type() != ast.TypeDocument && n.Type() != ast.TypeBlock {
			return ast.WalkSkipChildren, nil
		}
		if _, container := n.(*ast.Paragraph); container {
			return ast.WalkSkipChildren, nil // only inlines below
		}
		return ast.WalkContinue, nil
	})
}

// forumRenderer renders the nodes goldmark does not know: mentions and
// quotes.
type forumRenderer struct{}

func (r forumRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMention, r.renderMention)
	reg.Register(kindQuote, r.renderQuote)
}
