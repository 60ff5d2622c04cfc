package forum

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search orders: by relevance (the default) or newest first.
const (
	SearchByRelevance = "relevance"
	SearchByLatest    = "latest"
)

// searchSyntax is a search box's text read as Discourse reads it: words
// and "quoted phrases" (with -excluded words and or, which PostgreSQL's
// websearch_to_tsquery reads), and the operators
//
//	in:title          titles only
//	in:messages       the reader's own conversations, not the forum
//	                  (in:personal, as Discourse also spells it)
//	@name, user:name  posts by that member
//	#slug, category:slug
//	after:2026-01-31  posts of that day or later
//	before:2026-01-31 posts before that day
//	order:latest      newest first (order:relevance, the default)
//
// Any other word with a colon is a word. Operators inside quotes are words.
type searchSyntax struct {
	Text    string // the words and phrases, operators taken out
	InTitle bool
	// InMessages: the signed-in member's conversations instead of posts.
	InMessages bool
	Author     string
	Category   string
	After      string // YYYY-MM-DD, inclusive
	Before     string // YYYY-MM-DD, exclusive
	Order      string // "" when not given
}

// parseSearchSyntax splits text into its words and its operators. An
// operator with a bad or second different value, or a quote left open, is
// an error on the field "q".
func parseSearchSyntax(text string) (searchSyntax, error) {
	var s searchSyntax
	var words []string
	for rest := strings.TrimSpace(text); rest != ""; rest = strings.TrimLeftFunc(rest, unicode.IsSpace) {
		tok, next, err := nextSearchToken(rest)
		if err != nil {
			return s, err
		}
		rest = next
		if isOp, err := s.operator(tok); err != nil {
			return s, err
		} else if !isOp {
			words = append(words, tok)
		}
	}
	s.Text = strings.Join(words, " ")
	return s, nil
}

// nextSearchToken cuts the first token of s (which starts with no space):
// a run of non-spaces in which a quote opens a phrase that runs to the
// next quote, spaces included.
func nextSearchToken(s string) (tok, rest string, err error) {
	quoted := false
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case unicode.IsSpace(r) && !quoted:
			return s[:i], s[i:], nil
		}
	}
	if quoted {
		return "", "", Errorf(EINVALID, "search.quote_unclosed", nil).OnField("q")
	}
	return s, "", nil
}

// operator records tok when it is an operator, and says whether it was.
func (s *searchSyntax) operator(tok string) (bool, error) {
	if strings.ContainsRune(tok, '"') {
		return false, nil
	}
	name, value, ok := "", "", false
	switch {
	case strings.HasPrefix(tok, "@"):
		name, value, ok = "user", tok[1:], true
	case strings.HasPrefix(tok, "#"):
		name, value, ok = "category", tok[1:], true
	default:
		name, value, ok = strings.Cut(tok, ":")
		name = strings.ToLower(name)
	}
	if !ok {
		return false, nil
	}
	bad := func() (bool, error) {
		return true, Errorf(EINVALID, "search.operator_invalid", map[string]any{"Operator": tok}).OnField("q")
	}
	set := func(field *string, v string) (bool, error) {
		if v == "" {
			return bad()
		}
		if *field != "" && !strings.EqualFold(*field, v) {
			return true, Errorf(EINVALID, "search.operator_twice", map[string]any{"Operator": name}).OnField("q")
		}
		if *field == "" {
			*field = v
		}
		return true, nil
	}
	switch name {
	case "in":
		switch strings.ToLower(value) {
		case "title":
			s.InTitle = true
		case "messages", "personal":
			s.InMessages = true
		default:
			return bad()
		}
		return true, nil
	case "user":
		return set(&s.Author, value)
	case "category":
		return set(&s.Category, value)
	case "after", "before":
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return bad()
		}
		if name == "after" {
			return set(&s.After, value)
		}
		return set(&s.Before, value)
	case "order":
		v := strings.ToLower(value)
		if v != SearchByLatest && v != SearchByRelevance {
			return bad()
		}
		return set(&s.Order, v)
	}
	return false, nil
}

// validSearchText says whether PostgreSQL can take s as text.
func validSearchText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
