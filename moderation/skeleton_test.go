package moderation

import (
	"slices"
	"testing"
)

func TestSkeleton(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"punctuation only", " !?… 🙂 ", ""},
		{"lower case", "Bonjour LE Monde", "bonjour le monde"},
		{"accents", "Élève façade naïve où", "eleve facade naive ou"},
		{"decomposed accents", "e\u0301le\u0300ve", "eleve"},
		{"ligatures and sharp s", "Œuvre cœur æther Straße ﬁn", "oeuvre coeur aether strase fin"},
		{"Cyrillic look-alikes", "сорое", "copoe"},
		{"Greek look-alikes", "ΑΒΕ οκ", "abe ok"},
		{"full-width", "ＣＯＮ ｃｏｎ", "con con"},
		{"mathematical", "𝐜𝐨𝐧 𝓬𝓸𝓷 𝕔𝕠𝕟", "con con con"},
		{"circled", "ⓒⓞⓝ", "con"},
		{"leet digits", "c0n 5al0p3 4ss 7o8", "con salope as tob"},
		{"numbers stay numbers", "en 2024 et 1000", "en 2024 et 1000"},
		{"leet symbols inside words", "c@n $alope sh!t a|b", "can salope shit aib"},
		{"leet symbols at the edges", "@bob con! !yo| 100$ @ssholes", "abob con yo 100 asholes"},
		{"euro", "m€rde", "merde"},
		{"repeats collapsed", "connnnard looool", "conard lol"},
		{"spelled out", "c.o.n, c o n, c-o-n, c_o_n", "con con con con"},
		{"spelled out needs three", "a b", "a b"},
		{"spelled out with one separator", "c..o..n", "c o n"},
		{"spelled out with the same separator", "c.o n", "c o n"},
		{"spelled out then a word", "c o n n a r d et toi", "conard et toi"},
		{"spelled out digits", "c 0 n", "con"},
		{"apostrophes are boundaries", "l'idiot lʼidiot l’idiot", "l idiot l idiot l idiot"},
		{"hyphens are boundaries", "casse-toi", "case toi"},
		{"invisible characters ignored", "c\u200bo\u200dn\u00ad", "con"},
		{"other scripts kept", "日本 Ελλάδα", "日本 eλaδa"},
	}
	for _, tt := range tests {
		got, origin := Skeleton(tt.in)
		if got != tt.want {
			t.Errorf("%s: Skeleton(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
		if len(origin) != len(got) {
			t.Errorf("%s: Skeleton(%q): %d origins for %d bytes", tt.name, tt.in, len(origin), len(got))
		}
	}
}

func TestSkeletonOrigin(t *testing.T) {
	tests := []struct {
		in     string
		skel   string
		origin []int
	}{
		{"Ça va", "ca va", []int{0, 2, 3, 4, 5}},
		{"c.o.n", "con", []int{0, 2, 4}},
		{"connnnard", "conard", []int{0, 1, 2, 6, 7, 8}},
		{"  𝐜𝐨𝐧 !", "con", []int{2, 6, 10}},
		{"a  b", "a b", []int{0, 1, 3}},
		{"cœur", "coeur", []int{0, 1, 1, 3, 4}},
	}
	for _, tt := range tests {
		skel, origin := Skeleton(tt.in)
		if skel != tt.skel || !slices.Equal(origin, tt.origin) {
			t.Errorf("Skeleton(%q) = %q %v, want %q %v", tt.in, skel, origin, tt.skel, tt.origin)
		}
	}
}

// The padded skeleton records where each letter ends and how often it
// was repeated, for excerpts and for "ass" against "as".
func TestSkeletonEndsAndCounts(t *testing.T) {
	sk := buildSkeleton("co\u0301nnnard !")
	defer sk.release()
	if string(sk.text) != " conard " {
		t.Fatalf("text = %q", sk.text)
	}
	wantEnd := []int32{0, 1, 4, 7, 8, 9, 10, 10}
	wantCount := []uint8{0, 1, 1, 3, 1, 1, 1, 0}
	var end []int32
	var count []uint8
	for _, o := range sk.at {
		end, count = append(end, o.end), append(count, o.count)
	}
	if !slices.Equal(end, wantEnd) || !slices.Equal(count, wantCount) {
		t.Errorf("end = %v, count = %v; want %v, %v", end, count, wantEnd, wantCount)
	}
}

func TestFoldTables(t *testing.T) {
	// Every cached fold equals the computed one, and none is empty for a
	// letter.
	for r := rune(0x80); r < 0x800; r++ {
		if got, want := foldRune(r), computeFold(r); got != want {
			t.Fatalf("foldRune(%U) = %+v, computeFold = %+v", r, got, want)
		}
		if f := foldRune(r); f.class == classLetter && f.fold == "" {
			t.Errorf("foldRune(%U) is an empty letter", r)
		}
	}
}
