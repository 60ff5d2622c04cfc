package moderation

import (
	"bytes"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// kindQuote is the AST kind of a quote of another post.
var kindQuote = ast.NewNodeKind("Quote")

// quoteNode is a quote of another post: a container of Markdown blocks.
type quoteNode struct {
	ast.BaseBlock
	Username string
	Post     int64
}

func (n *quoteNode) Kind() ast.NodeKind { return kindQuote }

func (n *quoteNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{
		"Username": n.Username, "Post": strconv.FormatInt(n.Post, 10),
	}, nil)
}

var (
	quoteOpening = []byte("[quote=")
	quoteClosing = []byte("[/quote]")
)

// parseQuoteOpening parses `[quote=username post=123]` (what the composer
// writes) or `[quote=username]` (a quote written by hand, of no particular
// post: post is 0), alone on its line but for spaces. Usernames are as in
// mentions.
func parseQuoteOpening(line []byte) (username string, post int64, ok bool) {
	rest, found := bytes.CutPrefix(util.TrimRightSpace(line), quoteOpening)
	if !found {
		return "", 0, false
	}
	end := bytes.IndexAny(rest, " ]")
	if end <= 0 || end > 64 || !utf8.Valid(rest[:end]) {
		return "", 0, false
	}
	name, rest := rest[:end], rest[end:]
	for _, r := range string(name) {
		if !isNameRune(r) {
			return "", 0, false
		}
	}
	rest = bytes.TrimLeft(rest, " ")
	if string(rest) == "]" {
		return string(name), 0, true
	}
	digits, found := bytes.CutPrefix(rest, []byte("post="))
	if !found {
		return "", 0, false
	}
	digits, found = bytes.CutSuffix(digits, []byte("]"))
	if !found || len(digits) == 0 || len(digits) > 18 || digits[0] == '+' {
		return "", 0, false
	}
	post, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || post <= 0 {
		return "", 0, false
	}
	return string(name), post, true
}

// quoteParser parses
//
//	[quote=username post=123]
//	Markdown…
//	[/quote]
//
// (or [quote=username] on the first line) as a block, like a fenced code block whose content is Markdown. Quotes
// nest. A closing marker inside a fenced code block, or meant for a quote
// nested deeper, does not close the quote: Continue asks the parser which
// blocks are open below it. An unclosed quote ends with its parent. Beyond
// maxQuoteDepth, the markers are text.
type quoteParser struct{}

func (quoteParser) Trigger() []byte { return []byte{'['} }

// maxQuoteDepth bounds the nesting of quotes: goldmark visits every open
// block on every line, so deep nesting costs quadratic time.
const maxQuoteDepth = 8

func (quoteParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _ := reader.PeekLine()
	pos := pc.BlockOffset()
	if pos < 0 || quoteDepth(parent) >= maxQuoteDepth {
		return nil, parser.NoChildren
	}
	username, post, ok := parseQuoteOpening(line[pos:])
	if !ok {
		return nil, parser.NoChildren
	}
	reader.AdvanceToEOL()
	return &quoteNode{Username: username, Post: post}, parser.HasChildren
}

func (quoteParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	line, _ := reader.PeekLine()
	if isQuoteClosing(line, reader.LineOffset()) && !openBelow(node, pc) {
		reader.AdvanceToEOL()
		return parser.Close
	}
	return parser.Continue | parser.HasChildren
}

func (quoteParser) Close(ast.Node, text.Reader, parser.Context) {}

func (quoteParser) CanInterruptParagraph() bool { return true }

func (quoteParser) CanAcceptIndentedLine() bool { return false }

// quoteDepth returns how many quotes hold n.
func quoteDepth(n ast.Node) int {
	depth := 0
	for ; n != nil; n = n.Parent() {
		if _, ok := n.(*quoteNode); ok {
			depth++
		}
	}
	return depth
}

// isQuoteClosing reports whether line is `[/quote]`, indented by at most
// three columns.
func isQuoteClosing(line []byte, offset int) bool {
	w, pos := util.IndentWidth(line, offset)
	return w < 4 && bytes.Equal(util.TrimRightSpace(line[pos:]), quoteClosing)
}

// openBelow reports whether a quote or a fenced code block is open inside
// node: the closing marker on this line then belongs to it.
func openBelow(node ast.Node, pc parser.Context) bool {
	blocks := pc.OpenedBlocks()
	i := 0
	for i < len(blocks) && blocks[i].Node != node {
		i++
	}
	for _, b := range blocks[min(i+1, len(blocks)):] {
		switch b.Node.(type) {
		case *quoteNode, *ast.FencedCodeBlock:
			return true
		}
	}
	return false
}

// renderQuote renders the quote as a blockquote whose first line links to
// the quoted post, or to the quoted member's page when no post is named.
func (forumRenderer) renderQuote(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</blockquote>\n")
		return ast.WalkContinue, nil
	}
	n := node.(*quoteNode)
	if n.Post == 0 {
		_, _ = w.WriteString(`<blockquote class="quote">` + "\n" + `<p class="quote-source"><a href="/u/`)
		_, _ = w.Write(util.EscapeHTML([]byte(url.PathEscape(n.Username))))
	} else {
		var digits [20]byte
		post := strconv.AppendInt(digits[:0], n.Post, 10)
		_, _ = w.WriteString(`<blockquote class="quote" data-post="`)
		_, _ = w.Write(post)
		_, _ = w.WriteString(`">` + "\n" + `<p class="quote-source"><a href="/p/`)
		_, _ = w.Write(post)
	}
	_, _ = w.WriteString(`">@`)
	_, _ = w.Write(util.EscapeHTML([]byte(n.Username)))
	_, _ = w.WriteString("</a></p>\n")
	return ast.WalkContinue, nil
}
