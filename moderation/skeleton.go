package moderation

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Skeleton returns the form of s in which watched words are matched, and
// for each byte of that form the byte offset in s of the character it comes
// from, so that a match maps back to an excerpt of the original text.
//
// The skeleton is lower-case words separated by single spaces. Each
// character is folded (see fold.go: compatibility decomposition, accents
// dropped, case folded, homoglyphs such as Cyrillic "о" or "𝐜" mapped to
// the Latin letter they imitate, œ → oe, ß → ss), then, word by word:
//
//   - leetspeak is read in words that hold a letter: 0→o 1→i 3→e 4→a 5→s
//     7→t 8→b, @→a (first too: "@ssholes"; the @ of a mention of a member
//     is blanked before, see unmentioned), $→s, €→e, and !→i
//     and |→i between two characters of the word ("sh!t", not "con !").
//     Digits stay digits in numbers ("2024"). 1, | and ! read as i only:
//     CompileWatchedWords adds the l-variants of patterns instead;
//   - three or more single characters separated by the same single
//     separator are joined: "c.o.n", "c o n", "c-o-n", "c_o_n" → "con";
//   - repeated letters are collapsed: "connnnard" → "conard". The length
//     of each run is kept (see byteOrigin.count), so that "ass" does not
//     match the word "as" nor "con" the word "conn" (repeatsCover).
//
// Every other character (spaces, punctuation, symbols, emoji) is a word
// boundary; invisible characters (combining marks, format characters) are
// ignored. For skel[i] that is a space, origin[i] is where the boundary
// begins.
func Skeleton(s string) (skel string, origin []int) {
	sk := buildSkeleton(s)
	defer sk.release()
	if len(sk.text) < 2 {
		return "", nil
	}
	text := sk.text[1 : len(sk.text)-1] // without the padding spaces
	origin = make([]int, len(text))
	for i := range text {
		origin[i] = int(sk.at[i+1].start)
	}
	return string(text), origin
}

// skeleton is a text's skeleton as matched: each word preceded and
// followed by one space (" espece de con "), and for each byte where its
// source starts and ends in the original text and how many times its
// letter was repeated there (all bytes of a multi-byte rune carry the same
// values).
type skeleton struct {
	text []byte
	at   []byteOrigin // for each byte of text

	// Scratch space of build.
	word    []unit // the word being read, when it is not plain ASCII letters
	singles []unit // pending one-character words, maybe spelled out ("c.o.n")
	joinSep rune   // the separator between the pending singles
}

// byteOrigin is where a byte of the skeleton comes from: the source
// characters from start to end, its letter repeated count times there (0
// for the spaces between words).
type byteOrigin struct {
	start, end int32
	count      uint8
}

// unit is one source character of a word, folded.
type unit struct {
	fold       string // the folded letters, the digit or the leet symbol
	class      foldClass
	start, end int32 // byte offsets in the source
}

var skeletonPool = sync.Pool{New: func() any { return new(skeleton) }}

func (sk *skeleton) release() {
	if cap(sk.text) <= 1<<16 {
		skeletonPool.Put(sk)
	}
}

// buildSkeleton computes the padded skeleton of s. The caller releases it.
func buildSkeleton(s string) *skeleton {
	sk := skeletonPool.Get().(*skeleton)
	sk.text, sk.at = sk.text[:0], sk.at[:0]
	sk.word, sk.singles = sk.word[:0], sk.singles[:0]
	sk.build(s)
	return sk
}

// gap is the run of separators before a word.
type gap struct {
	n   int  // how many separator characters
	sep rune // the separator, or -1 when the run mixes several
}

func (g *gap) add(r rune, n int) {
	if g.n > 0 && g.sep != r {
		g.sep = -1
	} else {
		g.sep = r
	}
	g.n += n
}

// build reads s word by word. Words of plain ASCII letters, most of them,
// go straight to the output; others are folded character by character
// into sk.word first.
func (sk *skeleton) build(s string) {
	// Most texts give a skeleton no longer than themselves: room for that
	// once, rather than growing four slices byte by byte.
	sk.reserve(len(s) + 2)
	sk.appendByte(' ', 0, 0, 0)
	var (
		before    gap  // separators before the current word
		wordStart = -1 // start of the current word, -1 between words
		plain     bool // the current word is ASCII letters so far
	)
	for i := 0; i < len(s); {
		c := s[i]
		if asciiLetters[c] {
			j := i + 1
			for j < len(s) && asciiLetters[s[j]] {
				j++
			}
			if wordStart < 0 {
				wordStart, plain = i, true
			} else if !plain {
				sk.word = appendPlainUnits(sk.word, s, i, j)
			}
			i = j
			continue
		}
		f, r, size := folded{}, rune(c), 1
		if c < utf8.RuneSelf {
			f = asciiFolds[c]
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
			f = foldRune(r)
		}
		switch f.class {
		case classIgnore:
			if wordStart >= 0 && !plain {
				sk.word[len(sk.word)-1].end = int32(i + size)
			} else if wordStart >= 0 {
				sk.word = appendPlainUnits(sk.word[:0], s, wordStart, i)
				sk.word[len(sk.word)-1].end = int32(i + size)
				plain = false
			}
		case classSeparator:
			if wordStart >= 0 {
				sk.endWord(s, wordStart, i, plain, &before)
				wordStart = -1
			}
			before.add(r, 1)
		default:
			if wordStart < 0 {
				wordStart, plain = i, false
				sk.word = sk.word[:0]
			} else if plain {
				sk.word = appendPlainUnits(sk.word[:0], s, wordStart, i)
				plain = false
			}
			sk.word = append(sk.word, unit{f.fold, f.class, int32(i), int32(i + size)})
		}
		i += size
	}
	if wordStart >= 0 {
		sk.endWord(s, wordStart, len(s), plain, &before)
	}
	sk.flushSingles()
}

// appendPlainUnits appends the units of the ASCII letters s[from:to].
func appendPlainUnits(units []unit, s string, from, to int) []unit {
	for j := from; j < to; j++ {
		units = append(units, unit{asciiFolds[s[j]].fold, classLetter, int32(j), int32(j + 1)})
	}
	return units
}

// endWord handles the word s[from:to], preceded by the separators before;
// it resets before to the separators that follow the word.
func (sk *skeleton) endWord(s string, from, to int, plain bool, before *gap) {
	var after gap
	word := sk.word
	if plain {
		if to-from > 1 {
			sk.flushSingles()
			sk.emitPlain(s, from, to)
			*before = after
			return
		}
		word = appendPlainUnits(sk.word[:0], s, from, to)
		sk.word = word
	} else {
		word = resolveLeet(word, before, &after)
	}
	switch {
	case len(word) == 0:
		*before = after // only punctuation: one longer gap
		return
	case len(word) == 1 && before.n == 1 && before.sep >= 0 && len(sk.singles) > 0 &&
		(len(sk.singles) == 1 || before.sep == sk.joinSep):
		sk.singles = append(sk.singles, word[0]) // "c.o.n" goes on
		sk.joinSep = before.sep
	case len(word) == 1:
		sk.flushSingles()
		sk.singles = append(sk.singles, word[0])
	default:
		sk.flushSingles()
		sk.emitWord(word)
	}
	*before = after
}

// flushSingles writes the pending one-character words: as one word when
// there are three or more ("c o n"), else each on its own. It is called
// before every word, and inlined: most words have no singles before them.
func (sk *skeleton) flushSingles() {
	if len(sk.singles) > 0 {
		sk.emitSingles()
	}
}

func (sk *skeleton) emitSingles() {
	if len(sk.singles) >= 3 {
		sk.emitWord(sk.singles)
	} else {
		for i := range sk.singles {
			sk.emitWord(sk.singles[i : i+1])
		}
	}
	sk.singles = sk.singles[:0]
}

// resolveLeet decides which leet symbols of word are letters: none in a
// word without letters; otherwise all but a leading or trailing ! or |,
// which are punctuation: they join the separators before
// and after the word. It returns the word without its punctuation.
func resolveLeet(word []unit, before, after *gap) []unit {
	hasLetter := false
	for _, u := range word {
		hasLetter = hasLetter || u.class == classLetter
	}
	for len(word) > 0 && word[0].class == classLeet && (!hasLetter || strings.ContainsAny(word[0].fold, "!|")) {
		before.add(-1, 1)
		word = word[1:]
	}
	for len(word) > 0 && word[len(word)-1].class == classLeet && (!hasLetter || strings.ContainsAny(word[len(word)-1].fold, "!|")) {
		after.add(-1, 1)
		word = word[:len(word)-1]
	}
	for k := range word {
		if word[k].class == classLeet {
			if hasLetter {
				word[k].class, word[k].fold = classLetter, leetLetter(word[k].fold)
			} else {
				word[k].class = classSeparator // "1$1": skipped by emitWord
			}
		}
	}
	return word
}

// emitPlain writes a word of two or more ASCII letters, collapsing repeats.
func (sk *skeleton) emitPlain(s string, from, to int) {
	n := len(sk.text)
	m := n + to - from + 1 // at most: the letters and a space
	if m > cap(sk.text) || m > cap(sk.at) {
		sk.reserve(m)
	}
	text, at := sk.text[:m], sk.at[:m]
	k := n
	for j := from; j < to; j++ {
		c := s[j] | 0x20 // lower case
		if k > n && text[k-1] == c {
			at[k-1].end = int32(j + 1)
			if at[k-1].count < 255 {
				at[k-1].count++
			}
			continue
		}
		text[k], at[k] = c, byteOrigin{int32(j), int32(j + 1), 1}
		k++
	}
	text[k], at[k] = ' ', byteOrigin{int32(to), int32(to), 0}
	k++
	sk.text, sk.at = text[:k], at[:k]
}

// reserve makes room for n bytes of skeleton in all.
func (sk *skeleton) reserve(n int) {
	sk.text = slices.Grow(sk.text, n-len(sk.text))
	sk.at = slices.Grow(sk.at, n-len(sk.at))
}

// emitWord writes a word: leet digits read as letters if the word has a
// letter, repeated letters collapsed.
func (sk *skeleton) emitWord(word []unit) {
	hasLetter := false
	for _, u := range word {
		hasLetter = hasLetter || u.class == classLetter
	}
	lastRune, lastAt := rune(-1), 0 // the last letter written and its first byte
	for _, u := range word {
		fold := u.fold
		switch u.class {
		case classSeparator:
			continue
		case classDigit:
			if fold = leetLetter(u.fold); !hasLetter || fold == u.fold {
				sk.appendString(u.fold, u.start, u.end, 1)
				lastRune = -1
				continue
			}
		}
		for _, r := range fold {
			if r == lastRune {
				for k := lastAt; k < len(sk.text); k++ {
					sk.at[k].end = u.end
					if sk.at[k].count < 255 {
						sk.at[k].count++
					}
				}
				continue
			}
			lastRune, lastAt = r, len(sk.text)
			if r < utf8.RuneSelf {
				sk.appendByte(byte(r), u.start, u.end, 1)
			} else {
				sk.appendString(string(r), u.start, u.end, 1)
			}
		}
	}
	end := word[len(word)-1].end
	sk.appendByte(' ', end, end, 0)
}

func (sk *skeleton) appendByte(b byte, start, end int32, count uint8) {
	sk.text = append(sk.text, b)
	sk.at = append(sk.at, byteOrigin{start, end, count})
}

func (sk *skeleton) appendString(s string, start, end int32, count uint8) {
	for i := 0; i < len(s); i++ {
		sk.appendByte(s[i], start, end, count)
	}
}
