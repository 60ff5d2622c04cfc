package moderation

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.mau.fi/util/confusable"
	"golang.org/x/text/unicode/norm"
)

// foldClass is what a character is to the watched-word skeleton.
type foldClass uint8

const (
	classSeparator foldClass = iota // a word boundary
	classIgnore                     // invisible: combining marks, format characters
	classLetter                     // part of a word
	classDigit                      // an ASCII digit, maybe leetspeak
	classLeet                       // @ $ € ! |: a letter inside a word, else a boundary
)

// folded is a character as the skeleton sees it.
type folded struct {
	fold  string // lower-case, unaccented letters (or the digit, or the symbol)
	class foldClass
}

// asciiFolds folds ASCII characters.
var asciiFolds = func() (t [utf8.RuneSelf]folded) {
	for c := range t {
		switch r := rune(c); {
		case r >= 'a' && r <= 'z':
			t[c] = folded{string(r), classLetter}
		case r >= 'A' && r <= 'Z':
			t[c] = folded{string(r + 'a' - 'A'), classLetter}
		case r >= '0' && r <= '9':
			t[c] = folded{string(r), classDigit}
		case r == '@' || r == '$' || r == '!' || r == '|':
			t[c] = folded{string(r), classLeet}
		}
	}
	return t
}()

// asciiLetters are the ASCII letters, the bytes of plain words.
var asciiLetters = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = asciiFolds[c].class == classLetter
	}
	return t
}()

// smallFolds caches the folds of U+0080–U+07FF (Latin, Greek, Cyrillic…),
// where most non-ASCII text falls.
var smallFolds = sync.OnceValue(func() []folded {
	t := make([]folded, 0x800)
	for r := rune(utf8.RuneSelf); r < 0x800; r++ {
		t[r] = computeFold(r)
	}
	return t
})

// foldRune folds a non-ASCII character.
func foldRune(r rune) folded {
	if r < 0x800 {
		return smallFolds()[r]
	}
	return computeFold(r)
}

// letterFolds are letters that neither decomposition nor the confusables
// table turn into ASCII.
var letterFolds = map[rune]string{'ß': "ss", 'ð': "d"}

// computeFold folds r: compatibility decomposition (ｃ, 𝐜, ⓒ, ﬁ → ASCII),
// combining marks dropped (é → e), lower case, then, for letters still not
// ASCII, the UTS #39 confusables (Cyrillic о, Greek ο → o).
func computeFold(r rune) folded {
	switch {
	case r == '€':
		return folded{"€", classLeet}
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return folded{class: classIgnore}
	}
	d := string(r)
	if dec := norm.NFKD.PropertiesString(d).Decomposition(); dec != nil {
		d = string(dec)
	}
	var b strings.Builder
	for _, x := range d {
		if unicode.In(x, unicode.Mn, unicode.Me) {
			continue
		}
		x = unicode.ToLower(x)
		switch {
		case x < utf8.RuneSelf:
			if f := asciiFolds[x]; f.class == classLetter || f.class == classDigit {
				b.WriteString(f.fold)
			}
		case letterFolds[x] != "":
			b.WriteString(letterFolds[x])
		case unicode.IsLetter(x) || unicode.IsDigit(x):
			g, ok := homoglyph(x)
			if !ok {
				return folded{class: classSeparator} // a letter that looks like punctuation (ʼ)
			}
			b.WriteString(g)
		}
	}
	f := b.String()
	switch {
	case f == "":
		return folded{class: classSeparator}
	case len(f) == 1 && f[0] >= '0' && f[0] <= '9':
		return folded{f, classDigit}
	case strings.Trim(f, "0123456789") == "":
		return folded{class: classSeparator} // ½ and the like
	}
	return folded{f, classLetter}
}

// homoglyph returns the ASCII letters or digit the letter x imitates, or x
// itself when it imitates none; ok is false when x imitates punctuation.
func homoglyph(x rune) (s string, ok bool) {
	for _, c := range [...]rune{x, unicode.ToUpper(x)} {
		rep := confusable.GetReplacement(c)
		// A few replacements are other non-ASCII look-alikes (τ → ᴛ → T):
		// follow the chain a little.
		for range 3 {
			if rep == "" {
				break
			}
			a, kind := asciiOf(rep)
			switch kind {
			case asciiAlnum:
				return a, true
			case asciiPunct:
				return "", false
			}
			next, size := utf8.DecodeRuneInString(rep)
			if size != len(rep) {
				break
			}
			rep = confusable.GetReplacement(next)
		}
	}
	return string(x), true
}

const (
	notASCII = iota
	asciiAlnum
	asciiPunct
)

// asciiOf folds s (decomposed, marks dropped, lower case) and says whether
// the result is ASCII letters and digits, ASCII punctuation, or neither.
func asciiOf(s string) (string, int) {
	var b strings.Builder
	for _, x := range norm.NFKD.String(s) {
		switch {
		case unicode.In(x, unicode.Mn, unicode.Me):
		case x >= utf8.RuneSelf:
			return "", notASCII
		case asciiFolds[x].class == classLetter || asciiFolds[x].class == classDigit:
			b.WriteString(asciiFolds[x].fold)
		default:
			return "", asciiPunct
		}
	}
	if b.Len() == 0 {
		return "", notASCII
	}
	return b.String(), asciiAlnum
}

// leetLetter returns the letter a leet digit or symbol stands for, or s.
func leetLetter(s string) string {
	switch s {
	case "0":
		return "o"
	case "1", "!", "|":
		return "i"
	case "3", "€":
		return "e"
	case "4", "@":
		return "a"
	case "5", "$":
		return "s"
	case "7":
		return "t"
	case "8":
		return "b"
	}
	return s
}
