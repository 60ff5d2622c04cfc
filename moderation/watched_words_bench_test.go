package moderation

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// Palabre's own Aho–Corasick automaton (automaton.go) on what the matcher
// does: build one automaton from n watched-word keys, then find every
// (overlapping) occurrence in the skeleton of a 1 KB post.

var benchSizes = []int{10, 1000, 10000}

// benchWords returns n watched words that look like French words, some
// with wildcards, always the same.
func benchWords(n int) []WatchedWord {
	const letters = "eeeeeaaaasssiiiinnnttttrrrluuoodcmpvqfbghjxyzk"
	rng := rand.New(rand.NewPCG(1, 2))
	words := make([]WatchedWord, n)
	for i := range words {
		var b strings.Builder
		for range 4 + rng.IntN(7) {
			b.WriteByte(letters[rng.IntN(len(letters))])
		}
		p := b.String()
		switch i % 10 {
		case 0:
			p += "*"
		case 1:
			p = "*" + p
		case 2:
			p += " " + words[i-1].Pattern[1:] // a phrase
		}
		words[i] = WatchedWord{RuleID: int64(i%50 + 1), Pattern: p}
	}
	return words
}

// benchKeys returns the automaton keys of n watched words.
func benchKeys(n int) []string {
	keys, _ := watchedKeys(benchWords(n))
	return keys
}

// BenchmarkAhoCorasickBuild measures the build, and reports as kept-MB the
// heap that one automaton keeps alive (after garbage collection).
func BenchmarkAhoCorasickBuild(b *testing.B) {
	for _, n := range benchSizes {
		keys := benchKeys(n)
		b.Run(fmt.Sprintf("palabre/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			build := func() any { return newWordAutomaton(keys) }
			for b.Loop() {
				build()
			}
			b.ReportMetric(keptMB(build), "kept-MB")
		})
	}
}

// keptMB returns the megabytes of heap that what build returns keeps alive.
func keptMB(build func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / 1e6
}

func BenchmarkAhoCorasickMatch(b *testing.B) {
	sk := buildSkeleton(frenchPost)
	text := append([]byte(nil), sk.text...)
	sk.release()
	for _, n := range benchSizes {
		keys := benchKeys(n)
		a := newWordAutomaton(keys)
		b.Run(fmt.Sprintf("palabre/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				hits := 0
				a.each(text, func(int, int, int) { hits++ })
			}
		})
	}
}

func BenchmarkCompileWatchedWords(b *testing.B) {
	for _, n := range benchSizes {
		words := benchWords(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CompileWatchedWords(words)
			}
		})
	}
}

func BenchmarkWordMatcherMatch(b *testing.B) {
	for _, n := range benchSizes {
		m := CompileWatchedWords(benchWords(n))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(frenchPost)))
			b.ReportAllocs()
			for b.Loop() {
				m.Match(frenchPost)
			}
		})
	}
}
