package moderation

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/palabre/palabre/forum"
)

// TextLimits bounds the length of a text in runes (Unicode code points)
// after normalisation. Zero means no bound.
type TextLimits struct {
	MinRunes, MaxRunes int
}

// Normalize returns s in the form Palabre stores: valid UTF-8, no control
// characters but newline and tab, \n line endings, NFC, without invisible
// zero-width and bidirectional-control characters, trimmed, and within lim.
// Errors are forum.Error values naming field.
//
// Zero-width joiners (U+200D) are kept between two emoji, where they build
// one pictogram (👩‍💻); everywhere else they only serve to hide words from
// the filters.
func Normalize(s string, field string, lim TextLimits) (string, error) {
	n, ok := latinRunes(s)
	if ok {
		// Nothing to clean and already NFC: only the trimming is left.
		t := strings.TrimLeftFunc(s, unicode.IsSpace)
		n -= utf8.RuneCountInString(s[:len(s)-len(t)])
		s = strings.TrimRightFunc(t, unicode.IsSpace)
		n -= utf8.RuneCountInString(t[len(s):])
	} else {
		if !utf8.ValidString(s) {
			return "", forum.Errorf(forum.EINVALID, "moderation.invalid_utf8", nil).OnField(field)
		}
		if needsCleaning(s) {
			if s, ok = clean(s); !ok {
				return "", forum.Errorf(forum.EINVALID, "moderation.control_chars", nil).OnField(field)
			}
		}
		// Already-NFC text is returned as is, without copying.
		s = norm.NFC.String(s)
		s = strings.TrimSpace(s)
		n = utf8.RuneCountInString(s)
	}

	switch {
	case n == 0 && lim.MinRunes >= 1:
		return "", forum.Errorf(forum.EINVALID, "moderation.empty", nil).OnField(field)
	case n < lim.MinRunes:
		return "", forum.Errorf(forum.EINVALID, "moderation.too_short", map[string]any{"Min": lim.MinRunes}).OnField(field)
	case lim.MaxRunes > 0 && n > lim.MaxRunes:
		return "", forum.Errorf(forum.ETOOLARGE, "moderation.too_long", map[string]any{"Max": lim.MaxRunes}).OnField(field)
	}
	return s, nil
}

// latinRunes counts the characters of s in one pass when s is the common
// case Normalize need not change but for trimming: valid UTF-8 of ASCII
// and U+00A0–U+02FF only (Latin letters with their accents, as in French),
// without control characters but newline and tab, nor the soft hyphen. Such
// text is NFC: no character below U+0300 is changed by NFC or combines with
// the one before it (TestLatinRunesAreNFC). It reports false for anything
// else, which takes the general path.
func latinRunes(s string) (n int, ok bool) {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			// Eight bytes at a time: all ASCII, none below space, none DEL.
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			del := w ^ 0x7f*ones
			if w&highs == 0 && (w-0x20*ones)&^w&highs == 0 && (del-ones)&^del&highs == 0 {
				i, n = i+8, n+8
				continue
			}
		}
		for end := min(i+8, len(s)); i < end; n++ {
			switch c := s[i]; {
			case c < 0x20 && c != '\n' && c != '\t', c == 0x7f:
				return 0, false
			case c < utf8.RuneSelf:
				i++
			case c >= 0xC2 && c <= 0xCB && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
				if c == 0xC2 && (s[i+1] <= 0x9F || s[i+1] == 0xAD) {
					return 0, false // C1 control, soft hyphen
				}
				i += 2
			default:
				return 0, false
			}
		}
	}
	return n, true
}

// needsCleaning reports whether s holds something clean acts on: an ASCII
// control character other than \n and \t, a C1 control, or one of the
// invisible characters. It looks at bytes only, so that the common case
// (accented text and nothing to clean) costs no decoding and no copy.
func needsCleaning(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20:
			if c != '\n' && c != '\t' {
				return true
			}
		case c == 0x7f:
			return true
		case c == 0xC2 && i+1 < len(s): // U+0080–U+00BF: C1 controls, soft hyphen
			if d := s[i+1]; d <= 0x9f || d == 0xad {
				return true
			}
		case c == 0xE2 && i+2 < len(s): // U+2000–U+207F: joiners, marks, bidi
			d, e := s[i+1], s[i+2]
			if d == 0x80 && (e >= 0x8b && e <= 0x8f || e >= 0xaa && e <= 0xae) ||
				d == 0x81 && (e == 0xa0 || e >= 0xa6 && e <= 0xa9) {
				return true
			}
		case c == 0xEF && i+2 < len(s) && s[i+1] == 0xBB && s[i+2] == 0xBF: // U+FEFF
			return true
		}
	}
	return false
}

// clean converts line endings to \n and drops invisible characters; it
// reports false when s holds a control character other than \n, \t and \r.
func clean(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	prev := rune(-1) // the last rune kept
	for i, r := range s {
		switch {
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue // \r\n: the \n follows
			}
			r = '\n'
		case r == '\n' || r == '\t':
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return "", false
		case r == 0x200D:
			next, _ := utf8.DecodeRuneInString(s[i+len("\u200d"):])
			if !isEmoji(prev) || !isEmoji(next) {
				continue
			}
		case isInvisible(r):
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String(), true
}

// isInvisible reports whether r is a zero-width or bidirectional-control
// character: invisible in rendered text, and so a way to hide or disguise
// words (U+200D, the zero-width joiner, is handled by the caller).
func isInvisible(r rune) bool {
	switch {
	case r == 0x00AD, // soft hyphen
		r == 0x200B, r == 0x200C, // zero-width space, non-joiner
		r == 0x200E, r == 0x200F, // left-to-right and right-to-left marks
		r == 0x2060,                // word joiner
		r == 0xFEFF,                // zero-width no-break space (byte-order mark)
		r >= 0x202A && r <= 0x202E, // bidi embeddings and overrides
		r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	}
	return false
}

// isEmoji reports whether r can sit on either side of a zero-width joiner in
// an emoji sequence: pictographs, their variation selector and skin tones.
// It is deliberately broad (whole symbol blocks): a joiner between two
// symbols is harmless, a joiner between two letters is what we remove.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // pictographs, emoticons, skin tones
		r >= 0x2300 && r <= 0x23FF, // miscellaneous technical (⌚, ⏰)
		r >= 0x2600 && r <= 0x27BF, // miscellaneous symbols, dingbats (❤, ♀)
		r >= 0x2B00 && r <= 0x2BFF, // arrows and stars (⬛, ⭐)
		r == 0xFE0F,                // emoji presentation selector
		r == 0x20E3:                // combining enclosing keycap
		return true
	}
	return false
}
