package forum

import (
	"strings"
	"testing"
)

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		name, raw    string
		display, key string
		errKey       string
	}{
		{"ascii", "Alice", "Alice", "alice", ""},
		{"separators", "jean-luc.picard_2", "jean-luc.picard_2", "jean-luc.picard_2", ""},
		{"trimmed", "  bob42 \t", "bob42", "bob42", ""},
		{"accents", "Éloïse", "Éloïse", "éloïse", ""},
		{"decomposed accents are composed", "E\u0301loi\u0308se", "Éloïse", "éloïse", ""},
		{"fullwidth is folded", "ＡＢＣ", "ABC", "abc", ""},
		{"sharp s kept", "Straße", "Straße", "straße", ""},
		{"hindi with vowel signs", "राहुल", "राहुल", "राहुल", ""},
		{"hebrew", "שלום", "שלום", "שלום", ""},
		{"arabic with digit", "علي2", "علي2", "علي2", ""},
		{"japanese", "たなか", "たなか", "たなか", ""},
		{"exactly three", "abc", "abc", "abc", ""},
		{"exactly twenty", strings.Repeat("a", 20), strings.Repeat("a", 20), strings.Repeat("a", 20), ""},

		{"empty", "", "", "", "member.username_too_short"},
		{"blank", "   ", "", "", "member.username_too_short"},
		{"two runes", "ab", "", "", "member.username_too_short"},
		{"twenty-one", strings.Repeat("a", 21), "", "", "member.username_too_long"},
		{"overlong input", strings.Repeat("a", 100000), "", "", "member.username_too_long"},
		{"space", "john doe", "", "", "member.username_invalid"},
		{"sql", "admin'--", "", "", "member.username_invalid"},
		{"html", "<script>", "", "", "member.username_invalid"},
		{"at sign", "bob@home", "", "", "member.username_invalid"},
		{"invalid utf-8", "bob\xff\xfe", "", "", "member.username_invalid"},
		{"nul", "bob\x00by", "", "", "member.username_invalid"},
		{"newline", "bob\nby", "", "", "member.username_invalid"},
		{"escape", "bob\x1b[31m", "", "", "member.username_invalid"},
		{"rtl override", "abc\u202Egnp.exe", "", "", "member.username_invalid"},
		{"zero-width joiner", "bo\u200Db", "", "", "member.username_invalid"},
		{"zero-width space", "bo\u200Bb", "", "", "member.username_invalid"},
		{"byte order mark", "\uFEFFbob", "", "", "member.username_invalid"},
		{"soft hyphen", "bo\u00ADbby", "", "", "member.username_invalid"},
		{"mixed direction", "abcשלום", "", "", "member.username_invalid"},
		{"emoji", "bob😀", "", "", "member.username_invalid"},
		{"leading separator", "_bob", "", "", "member.username_invalid"},
		{"trailing separator", "bob.", "", "", "member.username_invalid"},
		{"double separator", "bob..by", "", "", "member.username_invalid"},
		{"mixed double separator", "bob-_by", "", "", "member.username_invalid"},
		{"only separators", "._-", "", "", "member.username_invalid"},
		{"leading combining mark", "\u0301bob", "", "", "member.username_invalid"},
		{"zalgo", "bo\u0301\u0302\u0303\u0304\u0305b", "", "", "member.username_invalid"},
		{"replacement char", "bob\uFFFD", "", "", "member.username_invalid"},

		{"reserved", "admin", "", "", "member.username_reserved"},
		{"reserved upper", "ADMIN", "", "", "member.username_reserved"},
		{"reserved cyrillic a", "аdmin", "", "", "member.username_reserved"},
		{"reserved with digit one", "adm1n", "", "", "member.username_reserved"},
		{"reserved upper i for l", "ADMlN", "", "", "member.username_reserved"},
		{"reserved r n for m", "adrnin", "", "", "member.username_reserved"},
		{"reserved with separator", "ad.min", "", "", "member.username_reserved"},
		{"reserved zeroes", "r00t", "", "", "member.username_reserved"},
		{"reserved fullwidth", "ｓｙｓｔｅｍ", "", "", "member.username_reserved"},
		{"reserved mod", "Mod", "", "", "member.username_reserved"},
		{"reserved palabre", "PaIabre", "", "", "member.username_reserved"},
		{"not reserved", "admiral", "admiral", "admiral", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := NormalizeUsername(tt.raw)
			display, derr := DisplayUsername(tt.raw)
			if got, want := errKey(err), tt.errKey; got != want {
				t.Fatalf("NormalizeUsername(%q) error %q, want %q", tt.raw, got, want)
			}
			if errKey(derr) != tt.errKey {
				t.Fatalf("DisplayUsername(%q) error %q, want %q", tt.raw, errKey(derr), tt.errKey)
			}
			if err != nil {
				if fe := AsError(err); fe.Code != EINVALID || fe.Field != "username" {
					t.Errorf("error %v: want code %s on field username", err, EINVALID)
				}
				return
			}
			if key != tt.key || display != tt.display {
				t.Errorf("(%q) = key %q, display %q; want %q, %q", tt.raw, key, display, tt.key, tt.display)
			}
		})
	}
}

func TestUsernameErrorArgs(t *testing.T) {
	_, err := NormalizeUsername("ab")
	if got := AsError(err).Args["Min"]; got != UsernameMinLength {
		t.Errorf("too short: Min = %v, want %d", got, UsernameMinLength)
	}
	_, err = NormalizeUsername(strings.Repeat("b", 30))
	if got := AsError(err).Args["Max"]; got != UsernameMaxLength {
		t.Errorf("too long: Max = %v, want %d", got, UsernameMaxLength)
	}
}

func TestUsernameSkeleton(t *testing.T) {
	collide := [][2]string{
		{"admin", "аdmin"},      // Cyrillic а
		{"admin", "ADMIN"},      // case
		{"paypal", "paypa1"},    // digit one
		{"paypal", "payраl"},    // Cyrillic р and а
		{"google", "g00gle"},    // digit zero
		{"google", "GOOGLE"},    // case
		{"lan", "Ian"},          // upper i
		{"lan", "ian"},          // i may be shown upper-case
		{"mike", "rnike"},       // m and rn
		{"john.doe", "johndoe"}, // separators
		{"john_doe", "john-doe"},
		{"bob", "ｂｏｂ"}, // fullwidth
		{"Bob", "Вob"}, // Cyrillic upper Ve, display form
		{"alice", "аlicе"},
	}
	for _, c := range collide {
		if a, b := UsernameSkeleton(c[0]), UsernameSkeleton(c[1]); a != b {
			t.Errorf("skeletons of %q and %q differ: %q, %q", c[0], c[1], a, b)
		}
	}
	apart := [][2]string{
		{"alice", "alicia"},
		{"bob5", "bobs"},
		{"bob8", "bobB"},
		{"anna", "anne"},
	}
	for _, c := range apart {
		if a, b := UsernameSkeleton(c[0]), UsernameSkeleton(c[1]); a == b {
			t.Errorf("skeletons of %q and %q collide: %q", c[0], c[1], a)
		}
	}
}

func TestUsernameSkeletonIsStable(t *testing.T) {
	for _, name := range []string{"admin", "ADMIN", "g00gle", "Mike", "ǅemal", "İstanbul", "राहुल", "Ωmega", "straße"} {
		once := UsernameSkeleton(name)
		if twice := UsernameSkeleton(once); twice != once {
			t.Errorf("UsernameSkeleton(%q) = %q, but of that is %q", name, once, twice)
		}
	}
}

func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"alice", "аdmin", "a\u202Eb", "E\u0301lo", "x..y", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, err := NormalizeUsername(raw)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("NormalizeUsername(%q): %v, want an EINVALID error", raw, err)
			}
			return
		}
		if again, err := NormalizeUsername(key); err != nil || again != key {
			t.Fatalf("NormalizeUsername is not idempotent on %q: %q, %v", key, again, err)
		}
		if n := len([]rune(key)); n < UsernameMinLength || n > UsernameMaxLength {
			t.Fatalf("NormalizeUsername(%q) = %q of %d runes", raw, key, n)
		}
	})
}

// errKey returns the message key of a domain error, "" for nil.
func errKey(err error) string {
	if err == nil {
		return ""
	}
	return AsError(err).Key
}
