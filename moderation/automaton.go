package moderation

import "slices"

// wordAutomaton is an Aho–Corasick automaton compiled into a DFA over the
// byte classes of its keys: one table lookup per byte of the text, and every
// key that ends at a byte reported, overlapping ones included.
//
// It replaced petar-dambovaliev/aho-corasick (watched_words.go has the
// measurements): that library's DFA walks an interface and a match
// iterator per byte, and its build goes through an NFA that iterates all
// 256 bytes of every state. Here the bytes that occur in no key share one
// class, which a French word list keeps to about 30 classes, and the build
// is one breadth-first pass over the trie.
type wordAutomaton struct {
	classes [256]uint8 // byte → class; class 0: the bytes of no key
	width   uint32     // classes in all
	// next[s+class] is the state after state s reads a byte of that class.
	// States are numbered premultiplied by width (state n is n*width), so
	// a step costs no multiplication; an entry with hasOutput set leads to
	// a state where keys end.
	next []uint32
	// outputs[outStart[n]:outStart[n+1]] are the keys that end in state n
	// (itself and through its suffixes), as indexes in keyLens.
	outStart []uint32
	outputs  []uint32
	keyLens  []uint32
}

const hasOutput = 1 << 31

// newWordAutomaton compiles keys; a key's index is its position in keys.
// Empty keys are never reported.
func newWordAutomaton(keys []string) *wordAutomaton {
	a := &wordAutomaton{keyLens: make([]uint32, len(keys))}
	for _, k := range keys {
		for i := 0; i < len(k); i++ {
			if a.classes[k[i]] == 0 {
				a.width++
				a.classes[k[i]] = uint8(a.width)
			}
		}
	}
	a.width++ // class 0
	w := a.width

	// The trie: 0 in next means no edge yet (no edge leads back to the
	// root, state 0).
	a.next = make([]uint32, w)
	own := [][]uint32{nil} // the keys that end at each state, by state number
	for i, k := range keys {
		a.keyLens[i] = uint32(len(k))
		if k == "" {
			continue
		}
		s := uint32(0)
		for j := 0; j < len(k); j++ {
			e := s + uint32(a.classes[k[j]])
			if a.next[e] == 0 {
				a.next[e] = uint32(len(a.next))
				a.next = append(a.next, make([]uint32, w)...)
				own = append(own, nil)
			}
			s = a.next[e]
		}
		own[s/w] = append(own[s/w], uint32(i))
	}

	// Breadth first: each state's failure is the longest proper suffix of
	// its path that is a path of the trie; a missing edge takes the
	// failure's, already complete since the failure is shallower.
	states := uint32(len(own))
	fail := make([]uint32, states)
	a.outStart = make([]uint32, states+1)
	outs := make([][]uint32, states)
	outs[0] = own[0]
	queue := make([]uint32, 0, states)
	for c := uint32(0); c < w; c++ {
		if t := a.next[c]; t != 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		n := s / w
		outs[n] = append(own[n], outs[fail[n]/w]...)
		for c := uint32(0); c < w; c++ {
			f := a.next[fail[n]+c] &^ hasOutput
			if t := a.next[s+c]; t != 0 {
				fail[t/w] = f
				queue = append(queue, t)
			} else {
				a.next[s+c] = f
			}
		}
	}
	// Outputs flat, and the edges into states with outputs marked.
	for n := uint32(0); n < states; n++ {
		a.outStart[n] = uint32(len(a.outputs))
		a.outputs = append(a.outputs, outs[n]...)
	}
	a.outStart[states] = uint32(len(a.outputs))
	for i, t := range a.next {
		if len(outs[t/w]) > 0 {
			a.next[i] = t | hasOutput
		}
	}
	a.next = slices.Clone(a.next) // without the room appending left
	return a
}

// each calls f with every occurrence of a key in text: the key's index and
// its byte offsets, by increasing end (keys that end at the same byte, the
// longest first).
func (a *wordAutomaton) each(text []byte, f func(key, start, end int)) {
	if len(a.keyLens) == 0 {
		return
	}
	next, classes := a.next, &a.classes
	s := uint32(0)
	for i, b := range text {
		s = next[s+uint32(classes[b])]
		if s&hasOutput != 0 {
			s &^= hasOutput
			n := s / a.width
			for _, k := range a.outputs[a.outStart[n]:a.outStart[n+1]] {
				f(int(k), i+1-int(a.keyLens[k]), i+1)
			}
		}
	}
}
