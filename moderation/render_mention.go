package moderation

import (
	"net/url"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// kindMention is the AST kind of an @name mention.
var kindMention = ast.NewNodeKind("Mention")

// mentionNode is an @name mention; Segment covers "@name".
type mentionNode struct {
	ast.BaseInline
	Segment text.Segment
}

func (n *mentionNode) Kind() ast.NodeKind { return kindMention }

// Name returns the mentioned name, without the @.
func (n *mentionNode) Name(source []byte) string {
	return string(n.Segment.Value(source)[1:])
}

func (n *mentionNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Name": n.Name(source)}, nil)
}

// mentionParser recognises @name, where name is letters, digits, _, - and
// ., not ending with - or . (so "merci @bob." mentions bob). Code spans and
// blocks never reach it; links are handled by Render, which leaves a
// mention inside a link as text. An @ preceded by a name character is part
// of an e-mail address ("bob@example.org"), as is a name followed by @.
type mentionParser struct{}

func (mentionParser) Trigger() []byte { return []byte{'@'} }

func (mentionParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	if prev := block.PrecendingCharacter(); isNameRune(prev) || prev == '@' || prev == '+' {
		return nil
	}
	line, segment := block.PeekLine()
	end := 1 // past the @
	for end < len(line) {
		r, size := utf8.DecodeRune(line[end:])
		if !isNameRune(r) {
			break
		}
		end += size
	}
	if end < len(line) && line[end] == '@' {
		return nil // user@host
	}
	for end > 1 && (line[end-1] == '.' || line[end-1] == '-') {
		end--
	}
	if end == 1 {
		return nil
	}
	block.Advance(end)
	return &mentionNode{Segment: segment.WithStop(segment.Start + end)}
}

// isNameRune reports whether r may appear in a member name.
func isNameRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// renderMention links a mention to the member's page. Mentions that must
// not be linked were already replaced by text in Render.
func (forumRenderer) renderMention(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	name := node.(*mentionNode).Name(source)
	_, _ = w.WriteString(`<a class="mention" href="/u/`)
	_, _ = w.Write(util.EscapeHTML([]byte(url.PathEscape(name))))
	_, _ = w.WriteString(`">@`)
	_, _ = w.Write(util.EscapeHTML([]byte(name)))
	_, _ = w.WriteString(`</a>`)
	return ast.WalkSkipChildren, nil
}
