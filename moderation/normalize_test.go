package moderation

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/palabre/palabre/forum"
)

func TestNormalize(t *testing.T) {
	lim := TextLimits{MinRunes: 1, MaxRunes: 40}
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Bonjour", "Bonjour"},
		{"trimmed", "  \n\tBonjour !\n\n ", "Bonjour !"},
		{"no-break spaces trimmed", "\u00a0Bonjour\u3000", "Bonjour"},
		{"CRLF", "a\r\nb\rc\nd", "a\nb\nc\nd"},
		{"tabs kept", "a\tb", "a\tb"},
		{"NFC", "e\u0301te\u0301", "été"},
		{"zero-width removed", "c\u200bo\u200cn\u2060n\ufeffa\u00adrd", "connard"},
		{"ZWJ between letters removed", "c\u200don", "con"},
		{"ZWJ in emoji kept", "👩\u200d💻 ok", "👩\u200d💻 ok"},
		{"ZWJ after variation selector kept", "❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥"},
		{"ZWJ at the end removed", "👩\u200d", "👩"},
		{"bidi overrides removed", "\u202egnp.exe\u202c txt", "gnp.exe txt"},
		{"bidi isolates and marks removed", "\u2066a\u2069\u200eb\u200f", "ab"},
		{"strip then compose", "e\u200b\u0301", "é"},
		{"accents untouched", "Ça s’écrit « ainsi » – d’accord…", "Ça s’écrit « ainsi » – d’accord…"},
		{"exactly max", strings.Repeat("é", 40), strings.Repeat("é", 40)},
		{"max counts after trim", "  " + strings.Repeat("a", 40) + "  ", strings.Repeat("a", 40)},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in, "body", lim)
		if err != nil || got != tt.want {
			t.Errorf("%s: Normalize(%q) = %q, %v; want %q", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		lim      TextLimits
		code     string
		key      string
		args     map[string]any
	}{
		{"invalid UTF-8", "a\xffb", TextLimits{}, forum.EINVALID, "moderation.invalid_utf8", nil},
		{"NUL", "a\x00b", TextLimits{}, forum.EINVALID, "moderation.control_chars", nil},
		{"escape", "a\x1b[31mb", TextLimits{}, forum.EINVALID, "moderation.control_chars", nil},
		{"DEL", "a\x7fb", TextLimits{}, forum.EINVALID, "moderation.control_chars", nil},
		{"C1 control", "a\u0085b", TextLimits{}, forum.EINVALID, "moderation.control_chars", nil},
		{"empty", "", TextLimits{MinRunes: 1}, forum.EINVALID, "moderation.empty", nil},
		{"blank", " \n\t\u00a0", TextLimits{MinRunes: 1}, forum.EINVALID, "moderation.empty", nil},
		{"invisible only", "\u200b\u200b", TextLimits{MinRunes: 1}, forum.EINVALID, "moderation.empty", nil},
		{"too short", "ab", TextLimits{MinRunes: 3}, forum.EINVALID, "moderation.too_short", map[string]any{"Min": 3}},
		{"too long", "abcd", TextLimits{MaxRunes: 3}, forum.ETOOLARGE, "moderation.too_long", map[string]any{"Max": 3}},
		{"too long in runes", "éééé", TextLimits{MaxRunes: 3}, forum.ETOOLARGE, "moderation.too_long", map[string]any{"Max": 3}},
	}
	for _, tt := range tests {
		_, err := Normalize(tt.in, "title", tt.lim)
		var fe *forum.Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: Normalize(%q) error = %v, want a forum.Error", tt.name, tt.in, err)
			continue
		}
		if fe.Code != tt.code || fe.Key != tt.key || fe.Field != "title" || !reflect.DeepEqual(fe.Args, tt.args) {
			t.Errorf("%s: Normalize(%q) = %s %s %q %v; want %s %s \"title\" %v",
				tt.name, tt.in, fe.Code, fe.Key, fe.Field, fe.Args, tt.code, tt.key, tt.args)
		}
	}
}

func TestNormalizeNoLimits(t *testing.T) {
	if got, err := Normalize("  ", "body", TextLimits{}); got != "" || err != nil {
		t.Errorf("Normalize(blank, no limits) = %q, %v; want \"\", nil", got, err)
	}
	long := strings.Repeat("x", 100000)
	if got, err := Normalize(long, "body", TextLimits{}); got != long || err != nil {
		t.Errorf("Normalize(long, no limits) failed: %v", err)
	}
}

// Normalize must not copy text that needs nothing (the common case).
func TestNormalizeFastPathAllocations(t *testing.T) {
	in := "Déjà vu : « l’été » à Paris.\nDeuxième ligne."
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Normalize(in, "body", TextLimits{MaxRunes: 1000}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Normalize allocates %v times on clean text, want 0", allocs)
	}
}

// latinRunes takes text of characters below U+0300 as NFC without
// checking: each of them must be a starter that NFC leaves alone and that
// combines with nothing before it.
func TestLatinRunesAreNFC(t *testing.T) {
	for r := rune(0); r < 0x300; r++ {
		s := string(r)
		if p := norm.NFC.PropertiesString(s); !p.BoundaryBefore() || !norm.NFC.IsNormalString(s) {
			t.Errorf("U+%04X: boundary before %v, NFC %v", r, p.BoundaryBefore(), norm.NFC.IsNormalString(s))
		}
	}
}

// Normalize's fast path (latinRunes) and its general path must agree.
func TestNormalizeLatinFastPath(t *testing.T) {
	pieces := []string{"a", "Z", " ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "é", "É", "ÿ", "ʼ", "\u0080", "\u009f",
		"\u00a0", "\u00ad", "\u0085", "\u02ff", "\u0300", "\u200b", "’", "\xc2", "\xc0\x80", "\xcb", "\xff", "abcdefgh"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		lim := TextLimits{MinRunes: rng.IntN(3), MaxRunes: rng.IntN(30)}
		got, gotErr := Normalize(s, "body", lim)
		want, wantErr := normalizeGeneral(s, lim)
		var fe *forum.Error
		if errors.As(gotErr, &fe) {
			gotErr = errors.New(fe.Key)
		}
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("Normalize(%q, %+v) = %q, %v; want %q, %v", s, lim, got, gotErr, want, wantErr)
		}
	}
}

// normalizeGeneral is Normalize without its fast path.
func normalizeGeneral(s string, lim TextLimits) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("moderation.invalid_utf8")
	}
	if needsCleaning(s) {
		var ok bool
		if s, ok = clean(s); !ok {
			return "", errors.New("moderation.control_chars")
		}
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && lim.MinRunes >= 1:
		return "", errors.New("moderation.empty")
	case n < lim.MinRunes:
		return "", errors.New("moderation.too_short")
	case lim.MaxRunes > 0 && n > lim.MaxRunes:
		return "", errors.New("moderation.too_long")
	}
	return s, nil
}
