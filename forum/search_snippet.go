package forum

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"golang.org/x/text/unicode/norm"
)

// A result's title and snippet are made here, from the words the database
// matched (the query's lexemes), rather than by ts_headline: ts_headline
// parses and stems every word of each post shown, about 3 ms of the
// database's CPU for a page of twenty, most of a common-word search after
// the ranking. Here a word is stemmed only when it could be one of the
// lexemes (it begins with the same letter and is no shorter), with the
// Snowball stemmers and the accent folding of the palabre_french and
// palabre_english configurations (TestSnippetWordsAreStemmedAsPostgreSQL
// compares them on a vocabulary).

// Snippet sizes, as ts_headline's MaxWords, MinWords and MaxFragments had
// them: up to two passages of 35 words around the matches, or the first 15
// words of a post that matches nothing (a search by filters only).
const (
	snippetMaxWords     = 35
	snippetMinWords     = 15
	snippetMaxFragments = 2
	snippetLead         = 8 // words shown before a passage's first match
	// snippetSource bounds the text read, as palabre_search_text bounds
	// what the index reads.
	snippetSource = 100000
)

// snippetMatcher tells the words of a text that are lexemes of a query;
// it remembers its answers, a page's posts sharing most of their words.
type snippetMatcher struct {
	lexemes []string
	english bool
	seen    map[string]bool
}

// newSnippetMatcher reads the lexemes of a tsquery's text form ('word' &
// !'other' <-> …): every one is marked, excluded ones included (they are
// found in no result, unless beside an "or").
func newSnippetMatcher(tsquery, config string) *snippetMatcher {
	m := &snippetMatcher{english: config == "palabre_english", seen: map[string]bool{}}
	for i := 0; i < len(tsquery); i++ {
		if tsquery[i] != '\'' {
			continue
		}
		var b strings.Builder
		for i++; i < len(tsquery); i++ {
			c := tsquery[i]
			if c == '\\' && i+1 < len(tsquery) {
				i++
				b.WriteByte(tsquery[i])
				continue
			}
			if c == '\'' {
				if i+1 < len(tsquery) && tsquery[i+1] == '\'' {
					i++
					b.WriteByte('\'')
					continue
				}
				break
			}
			b.WriteByte(c)
		}
		if b.Len() > 0 {
			m.lexemes = append(m.lexemes, b.String())
		}
	}
	return m
}

// matches reports whether a word of the text is one of the lexemes. A
// stem is never longer than its word and begins with its letter: other
// words are not stemmed.
func (m *snippetMatcher) matches(word string) bool {
	if len(m.lexemes) == 0 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(word)
	first := foldRune(r)
	candidate := false
	for _, l := range m.lexemes {
		if len(word) >= len(l) && strings.HasPrefix(l, first) {
			candidate = true
			break
		}
	}
	if !candidate {
		return false
	}
	if found, ok := m.seen[word]; ok {
		return found
	}
	w := foldWord(word)
	found := false
	stem := ""
	for _, l := range m.lexemes {
		if len(w) < len(l) || !strings.HasPrefix(l, first) {
			continue
		}
		if stem == "" {
			stem = m.stem(w)
		}
		if stem == l {
			found = true
			break
		}
	}
	m.seen[word] = found
	return found
}

// stem is the configuration's dictionary: words with digits go to the
// simple one (numword), the others to Snowball.
func (m *snippetMatcher) stem(w string) string {
	if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
		return w
	}
	if m.english {
		return english.Stem(w, false)
	}
	return french.Stem(w, false)
}

// foldRune is a letter lowercased without its accents, as unaccent folds
// it (œ and æ become two letters, ß ss).
func foldRune(r rune) string {
	if r >= 0 && int(r) < len(latinFolds) {
		return latinFolds[r]
	}
	return foldLetter(r)
}

// latinFolds are the folds of the Latin letters, ASCII and the accented
// letters of French, English and their neighbours, worked out once.
var latinFolds = func() []string {
	folds := make([]string, 0x250)
	for i := range folds {
		folds[i] = foldLetter(rune(i))
	}
	return folds
}()

func foldLetter(r rune) string {
	switch r = unicode.ToLower(r); r {
	case 'œ':
		return "oe"
	case 'æ':
		return "ae"
	case 'ß':
		return "ss"
	}
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if !unicode.Is(unicode.Mn, d) {
			b.WriteRune(d)
		}
	}
	return b.String()
}

func foldWord(word string) string {
	ascii := true
	for i := 0; i < len(word); i++ {
		if word[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(word)
	}
	var b strings.Builder
	for _, r := range word {
		b.WriteString(foldRune(r))
	}
	return b.String()
}

// snippetWord is a word of the text: its bytes and whether it matched.
type snippetWord struct {
	start, end int
	match      bool
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// snippetWords cuts text into words (letters and digits; an apostrophe, a
// hyphen or an underscore separates them, as PostgreSQL's parser does)
// and marks those that match.
func snippetWords(text string, m *snippetMatcher) []snippetWord {
	words := make([]snippetWord, 0, len(text)/6)
	start := -1
	for i, r := range text {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			words = append(words, snippetWord{start: start, end: i, match: m.matches(text[start:i])})
			start = -1
		}
	}
	if start >= 0 {
		words = append(words, snippetWord{start: start, end: len(text), match: m.matches(text[start:])})
	}
	return words
}

// markWords writes text[from:to] escaped, its matched words in <mark>.
func markWords(b *strings.Builder, text string, words []snippetWord, from, to int) {
	at := from
	for _, w := range words {
		if !w.match || w.end <= from || w.start >= to {
			continue
		}
		b.WriteString(html.EscapeString(text[at:w.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[w.start:w.end]))
		b.WriteString("</mark>")
		at = w.end
	}
	b.WriteString(html.EscapeString(text[at:to]))
}

// highlightTitle is a title escaped, every matched word in <mark>.
func highlightTitle(title string, m *snippetMatcher) string {
	title = stripMarkers(title)
	var b strings.Builder
	markWords(&b, title, snippetWords(title, m), 0, len(title))
	return b.String()
}

// snippetText is the text of a post's HTML: tags become spaces (as
// palabre_search_text reads them), entities characters, and the markers
// members may have written go.
func snippetText(bodyHTML string) string {
	if len(bodyHTML) > snippetSource {
		bodyHTML = bodyHTML[:snippetSource]
		for !utf8.ValidString(bodyHTML) {
			bodyHTML = bodyHTML[:len(bodyHTML)-1]
		}
	}
	var b strings.Builder
	b.Grow(len(bodyHTML))
	for {
		open := strings.IndexByte(bodyHTML, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(bodyHTML[open:], '>')
		if end < 0 {
			break
		}
		b.WriteString(bodyHTML[:open])
		b.WriteByte(' ')
		bodyHTML = bodyHTML[open+end+1:]
	}
	b.WriteString(bodyHTML)
	return stripMarkers(html.UnescapeString(b.String()))
}

// The private-use characters ts_headline marked matches with, before
// snippets were made here: removed from what members wrote, as they were
// then, so that the two snippets read the same.
const (
	markStart = "\ue000"
	markStop  = "\ue001"
)

func stripMarkers(s string) string {
	if !strings.Contains(s, markStart) && !strings.Contains(s, markStop) {
		return s
	}
	return strings.NewReplacer(markStart, "", markStop, "").Replace(s)
}

// snippet is escaped HTML of a post's passages around its matched words,
// those in <mark>, joined by " … "; a post matched by nothing shows its
// first words.
func snippet(bodyHTML string, m *snippetMatcher) string {
	text := snippetText(bodyHTML)
	words := snippetWords(text, m)
	if len(words) == 0 {
		return ""
	}
	var b strings.Builder
	var passages [][2]int // word ranges [first, last)
	for len(passages) < snippetMaxFragments {
		best, bestCount := -1, 0
		for i, w := range words {
			if !w.match || overlaps(passages, i) {
				continue
			}
			from := max(0, i-snippetLead)
			for overlaps(passages, from) {
				from++
			}
			count := 0
			for j := from; j < min(len(words), from+snippetMaxWords) && !overlaps(passages, j); j++ {
				if words[j].match {
					count++
				}
			}
			if count > bestCount {
				best, bestCount = from, count
			}
		}
		if best < 0 {
			break
		}
		to := best
		for to < min(len(words), best+snippetMaxWords) && !overlaps(passages, to) {
			to++
		}
		passages = append(passages, [2]int{best, to})
	}
	if len(passages) == 0 {
		passages = append(passages, [2]int{0, min(len(words), snippetMinWords)})
	}
	if len(passages) == 2 && passages[1][0] < passages[0][0] {
		passages[0], passages[1] = passages[1], passages[0]
	}
	for i, p := range passages {
		if i > 0 {
			b.WriteString(" … ")
		}
		from, to := words[p[0]].start, passageEnd(text, words[p[1]-1].end)
		if p[0] == 0 {
			from = len(text) - len(strings.TrimLeftFunc(text, unicode.IsSpace))
		}
		markWords(&b, text, words[p[0]:p[1]], from, to)
	}
	return b.String()
}

func overlaps(passages [][2]int, word int) bool {
	for _, p := range passages {
		if p[0] <= word && word < p[1] {
			return true
		}
	}
	return false
}

// passageEnd takes the punctuation that ends a passage's last word with it.
func passageEnd(text string, end int) int {
	for end < len(text) {
		r, size := utf8.DecodeRuneInString(text[end:])
		if unicode.IsSpace(r) || isWordRune(r) {
			break
		}
		end += size
	}
	return end
}
