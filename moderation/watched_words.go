package moderation

// Watched words are matched with one Aho–Corasick automaton over the
// skeletons of all the patterns, run over the skeleton of the text.
//
// The automaton. Two Aho–Corasick libraries were compared with Palabre's
// own (automaton.go) before it was chosen, on a 2-vCPU AMD EPYC VM shared
// with other builds (so ±30 %); keys are the skeletons of n generated
// French-like words, matched over the 0.9 KB skeleton of frenchPost
// (pipeline_bench_test.go). The libraries have since left go.mod and the
// comparison with them; watched_words_bench_test.go keeps the benchmarks
// of Palabre's own:
//
//	                      build 10 / 1k / 10k words   kept 1k / 10k     match 10 / 1k / 10k
//	BobuSumisu            0.1 / 9 / 101 ms            15.7 / 140 MB     2.6 / 3.4 / 5.2 µs
//	petar, DFA            1.1 / 87 / 694 ms           2.0 / 18 MB       6.9 / 6.6 / 7.2 µs
//	Palabre (chosen)      0.04 / 6.6 / 74 ms          0.9 / 7.6 MB      1.9 / 2.2 / 3.0 µs
//
// "kept" is the heap one automaton keeps alive after garbage collection
// (kept-MB in BenchmarkAhoCorasickBuild). BobuSumisu keeps a 256-entry
// int64 table per state: 140 MB for 10,000 words, in every process, against
// an 80 MB budget. petar-dambovaliev's DFA (the choice until November
// 2026) builds through an NFA that visits all 256 bytes of every state, and
// steps through an interface and an iterator per byte. Palabre's is a DFA
// over the byte classes of the keys (about 30 for French words), built in
// one breadth-first pass, and stepped with one table lookup per byte; it
// reports overlapping matches, checked against a naive search in
// TestAhoCorasickFindsEverything. Rule sets are still compiled off the
// request path (at start and on NOTIFY), the previous matcher serving
// meanwhile.

import (
	"cmp"
	"slices"
	"strings"
)

// WatchedWord is a word or phrase a rule watches for. A leading or trailing
// `*` in Pattern lets the word continue ("con*" hits "connerie", "*phobe"
// hits "homophobe"); otherwise only whole words match. An Exception is a
// word or phrase that never matches its rule: a match of the rule that
// lies within one of its exceptions is dropped ("negro spiritual*" lets
// "negro-spirituals" through the rule watching "négro").
type WatchedWord struct {
	RuleID    int64
	Pattern   string
	Exception bool
}

// WordMatch is a watched word found in a text.
type WordMatch struct {
	RuleID     int64
	Pattern    string
	Start, End int // byte offsets in the original text
}

// WordMatcher finds watched words in texts, through disguises (accents,
// case, homoglyphs, leetspeak, repeated letters, spaced letters) but only
// as whole words ("con" is not in "content"). It is safe for concurrent use.
type WordMatcher struct {
	automaton *wordAutomaton
	keys      []watchedKey // by automaton key index
}

// watchedKey is one string in the automaton: a pattern's skeleton, with a
// space on each side that must be a word boundary, and the words that
// have it.
type watchedKey struct {
	words       []keyedWord
	open, close bool // the word may continue before / after
}

// keyedWord is a watched word and the least repeat count of each letter of
// its key (see byteOrigin.count): "ass" and "as" share the key " as ".
type keyedWord struct {
	WatchedWord
	count []uint8
}

// CompileWatchedWords builds the matcher of words; patterns that hold no
// letter or digit are ignored. It takes about 6 ms for 1,000 words and
// 0.1 s for 10,000 (see the top of this file).
func CompileWatchedWords(words []WatchedWord) *WordMatcher {
	keys, meta := watchedKeys(words)
	return &WordMatcher{automaton: newWordAutomaton(keys), keys: meta}
}

// watchedKeys returns the distinct keys of words and, for each, the words
// that have it.
func watchedKeys(words []WatchedWord) (keys []string, meta []watchedKey) {
	index := map[string]int{}
	for _, w := range words {
		p := strings.TrimSpace(w.Pattern)
		open, close := strings.HasPrefix(p, "*"), strings.HasSuffix(p, "*")
		sk := buildSkeleton(strings.Trim(p, "*"))
		if len(sk.text) < 2 {
			sk.release()
			continue
		}
		// The padded skeleton " word ": keep the spaces that must be
		// boundaries.
		lo, hi := 0, len(sk.text)
		if open {
			lo++
		}
		if close {
			hi--
		}
		for _, v := range iVariants(sk.text[lo:hi]) {
			key := string(v)
			i, ok := index[key]
			if !ok {
				i = len(keys)
				index[key] = i
				keys = append(keys, key)
				meta = append(meta, watchedKey{open: open, close: close})
			}
			kw := keyedWord{w, sk.counts(lo, hi)}
			if !slices.ContainsFunc(meta[i].words, kw.equal) {
				meta[i].words = append(meta[i].words, kw)
			}
		}
		sk.release()
	}
	return keys, meta
}

// iVariants returns key and, since 1, | and ! read as i in texts while
// they may stand for l, the keys with some l read as i ("salope" also as
// "saiope", which "sa1ope" becomes). Only an l next to no i is replaced, so
// the variant collapses like the original; at most 4 such l are varied.
func iVariants(key []byte) [][]byte {
	var at []int
	for i, c := range key {
		if c == 'l' && (i == 0 || key[i-1] != 'i') && (i == len(key)-1 || key[i+1] != 'i') && len(at) < 4 {
			at = append(at, i)
		}
	}
	variants := make([][]byte, 0, 1<<len(at))
	for mask := range 1 << len(at) {
		v := slices.Clone(key)
		for bit, i := range at {
			if mask&(1<<bit) != 0 {
				v[i] = 'i'
			}
		}
		variants = append(variants, v)
	}
	return variants
}

// Match returns the watched words in text, ordered by position then rule.
// A wildcard match covers the whole word it is part of.
func (m *WordMatcher) Match(text string) []WordMatch {
	if m == nil || len(m.keys) == 0 {
		return nil
	}
	sk := buildSkeleton(text)
	defer sk.release()

	var out, except []WordMatch
	m.automaton.each(sk.text, func(k, lo, hi int) {
		key := &m.keys[k]
		at := lo
		// Trim the boundary spaces; extend wildcard matches to the word.
		for sk.text[lo] == ' ' {
			lo++
		}
		for sk.text[hi-1] == ' ' {
			hi--
		}
		if key.open {
			for sk.text[lo-1] != ' ' {
				lo--
			}
		}
		if key.close {
			for sk.text[hi] != ' ' {
				hi++
			}
		}
		start, end := int(sk.at[lo].start), int(sk.at[hi-1].end)
		for _, w := range key.words {
			if !sk.repeatsCover(at, w.count, key.open, key.close) { // "asss" is "ass", "as" and "conn" are not "ass" and "con"
				continue
			}
			wm := WordMatch{RuleID: w.RuleID, Pattern: w.Pattern, Start: start, End: end}
			if w.Exception {
				except = append(except, wm)
			} else {
				out = append(out, wm)
			}
		}
	})
	if len(except) > 0 {
		out = slices.DeleteFunc(out, func(w WordMatch) bool {
			return slices.ContainsFunc(except, func(x WordMatch) bool {
				return x.RuleID == w.RuleID && x.Start <= w.Start && w.End <= x.End
			})
		})
	}
	if len(out) < 2 {
		return out
	}
	slices.SortFunc(out, func(a, b WordMatch) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.End, b.End), strings.Compare(a.Pattern, b.Pattern))
	})
	// l-variants and overlapping wildcards may find a word twice.
	return slices.Compact(out)
}

func (w keyedWord) equal(v keyedWord) bool {
	return w.WatchedWord == v.WatchedWord && slices.Equal(w.count, v.count)
}

// counts returns the repeat counts of the skeleton's bytes lo to hi.
func (sk *skeleton) counts(lo, hi int) []uint8 {
	c := make([]uint8, hi-lo)
	for i := range c {
		c[i] = sk.at[lo+i].count
	}
	return c
}

// repeatsCover reports whether each letter of the text from lo on is
// repeated as often as in a pattern, or stretched: written three times or
// more, and more often than in the pattern ("connnnard", "asss"). A letter
// doubled where the pattern has it once is another word, not a disguise:
// "conn" and "coon" are not "con", "Twatt" is not "twat".
// Where a wildcard lets the word go on, its edge letter may run on into
// the rest of the word: "con*" hits "connerie", "*merd*" "emmerdeur".
func (sk *skeleton) repeatsCover(lo int, count []uint8, open, close bool) bool {
	last := len(count) - 1
	for i, c := range count {
		t := sk.at[lo+i].count
		if t == c || t >= c && (t >= 3 || open && i == 0 || close && i == last) {
			continue
		}
		return false
	}
	return true
}
