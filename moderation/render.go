package moderation

import (
	"bytes"
	"strings"
	"sync"

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
}

// Rendered is a post's HTML and what it refers to, for the rules that follow.
type Rendered struct {
	HTML     string   // unsanitized HTML (the sanitizer runs next)
	Links    []string // absolute URLs of links and autolinks, in order
	Images   []string // image URLs
	Mentions []string // usernames mentioned (deduplicated, as written, without @), only those that exist when MemberExists is set
	Quotes   []int64  // post ids quoted
}

// markdown converts member Markdown: GitHub-flavoured (tables, strikethrough,
// task lists, bare URLs linked), raw HTML dropped (goldmark's default),
// soft line breaks kept soft, plus Palabre's mentions and quotes. Built once:
// a goldmark.Markdown is safe for concurrent use.
var markdown = newMarkdown()

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.TaskList,
		),
		goldmark.WithParserOptions(
			parser.WithBlockParsers(util.Prioritized(quoteParser{}, 850)),
			parser.WithInlineParsers(
				util.Prioritized(mentionParser{}, 600),
				util.Prioritized(quickLinkify{extension.NewLinkifyParser()}, 999), // extension.Linkify's priority
			),
			parser.WithASTTransformers(util.Prioritized(headingDemoter{}, 100)),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(palabreRenderer{}, 500)),
		),
	)
}

var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render converts a post's Markdown to HTML and lists its links, images,
// mentions and quotes.
func Render(markdownSource string, opt RenderOptions) Rendered {
	source := []byte(markdownSource)
	doc := markdown.Parser().Parse(text.NewReader(source))
	out := inspect(doc, source, opt)

	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	// Rendering into a bytes.Buffer cannot fail: goldmark only returns the
	// writer's errors.
	_ = markdown.Renderer().Render(buf, source, doc)
	out.HTML = buf.String()
	if buf.Cap() <= 1<<16 {
		renderBuffers.Put(buf)
	}
	return out
}

// inspect walks the parsed post once: it collects links, images, mentions
// and quotes, and rewrites the nodes whose rendering depends on opt
// (mentions of non-members, images when they are not allowed).
func inspect(doc ast.Node, source []byte, opt RenderOptions) Rendered {
	var (
		out       Rendered
		inLink    int // depth of links and images: a mention there is plain text
		unlinked  []*mentionNode
		images    []*ast.Image
		known     map[string]bool // MemberExists answers, one call per name
		mentioned map[string]bool // lower-cased names already in out.Mentions
	)
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.Link:
			if entering {
				inLink++
				if isAbsoluteURL(n.Destination) {
					out.Links = append(out.Links, string(n.Destination))
				}
			} else {
				inLink--
			}
		case *ast.Image:
			if entering {
				inLink++
				out.Images = append(out.Images, string(n.Destination))
				if !opt.AllowImages {
					images = append(images, n)
				}
			} else {
				inLink--
			}
		case *ast.AutoLink:
			if entering {
				u := string(n.URL(source))
				if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
					u = "mailto:" + u
				}
				if isAbsoluteURL([]byte(u)) {
					out.Links = append(out.Links, u)
				}
			}
		case *mentionNode:
			if !entering {
				break
			}
			name := n.Name(source)
			exists, asked := known[name]
			if !asked && inLink == 0 && opt.MemberExists != nil {
				exists = opt.MemberExists(name)
				if known == nil {
					known, mentioned = map[string]bool{}, map[string]bool{}
				}
				known[name] = exists
			}
			if inLink > 0 || !exists {
				unlinked = append(unlinked, n)
				break
			}
			if key := strings.ToLower(name); !mentioned[key] {
				mentioned[key] = true
				out.Mentions = append(out.Mentions, name)
			}
		case *quoteNode:
			if entering && !containsInt64(out.Quotes, n.Post) {
				out.Quotes = append(out.Quotes, n.Post)
			}
		}
		return ast.WalkContinue, nil
	})

	// The tree is rewritten after the walk, which must not see it change.
	for _, m := range unlinked {
		m.Parent().ReplaceChild(m.Parent(), m, ast.NewTextSegment(m.Segment))
	}
	for _, img := range images {
		img.Parent().ReplaceChild(img.Parent(), img, imageAsLink(img))
	}
	return out
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

// quickLinkify is goldmark's linkify parser (bare URLs and e-mail
// addresses become links) behind a cheap test: it runs at every space of
// the text and cost a third of the rendering time, while it can only
// match words that start with a protocol or "www.", or e-mail addresses,
// whose local part is followed by an @.
type quickLinkify struct{ parser.InlineParser }

func (q quickLinkify) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, _ := block.PeekLine()
	if len(line) > 0 {
		switch line[0] {
		case ' ', '*', '_', '~', '(':
			line = line[1:] // the trigger character, as linkifyParser skips it
		}
	}
	if bytes.HasPrefix(line, []byte("http:")) || bytes.HasPrefix(line, []byte("https:")) ||
		bytes.HasPrefix(line, []byte("ftp:")) || bytes.HasPrefix(line, []byte("www.")) {
		return q.InlineParser.Parse(parent, block, pc)
	}
	// As util.FindEmailIndex: a local part of at most 64 bytes, then @.
	for i, c := range line {
		switch {
		case i > 64:
			return nil
		case c == '@':
			return q.InlineParser.Parse(parent, block, pc)
		case !isEmailLocalByte(c):
			return nil
		}
	}
	return nil
}

// isEmailLocalByte reports whether c may appear in the local part of an
// e-mail address, as goldmark's linkify reads it.
func isEmailLocalByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		bytes.IndexByte([]byte(".!#$%&'*+/=?^_`{|}~-"), c) >= 0
}

// headingDemoter turns level 1 and 2 headings into level 3: the page
// already has its h1 (the site) and h2 (the thread title).
type headingDemoter struct{}

func (headingDemoter) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if h, ok := n.(*ast.Heading); ok {
			h.Level = max(h.Level, 3)
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

// palabreRenderer renders the nodes goldmark does not know: mentions and
// quotes.
type palabreRenderer struct{}

func (r palabreRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMention, r.renderMention)
	reg.Register(kindQuote, r.renderQuote)
}
