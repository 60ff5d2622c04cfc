package moderation

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// The default watched words judged on whole dictionaries: Debian's wfrench
// (346,000 French words and their inflections) and wamerican (104,000
// English words and possessives). Without a disguise, a real word is an
// innocent text; the matcher may catch it only when it is what a rule
// means:
//
//   - a watched word itself: the word and a pattern (without its *) have
//     the same skeleton ("Nègre" and "nègre*", "negro" and "négro");
//   - an inflection of a watched word: the word is a whole-word pattern
//     followed by a French gender or number ending, or an English plural or
//     possessive: skeleton + "e", "s", "es" or "x", or + "'s" / "'" (the
//     skeleton's " s" and nothing, the apostrophe being a boundary):
//     "conne", "cons", "bitches", "twat's";
//   - a derivation a wildcard pattern asks for: "connard*" means every word
//     that starts with "connard" ("connardes"), "*phobe" every word that
//     ends with "phobe".
//
// Anything else caught is a false positive: a word that contains a watched
// one in a compound ("negro-spiritual"), or that folding turned into one
// ("Twatt" into "twat", "Conn" into "con").
var dictionaries = []string{"/usr/share/dict/french", "/usr/share/dict/american-english"}

// dictionaryWords returns the words of the dictionaries, installing them
// with apt-get when they are missing and this process may (scripts/test.sh
// installs them before the suite); it skips the test, saying why, only
// when they cannot be installed.
func dictionaryWords(t *testing.T) []string {
	t.Helper()
	dictionariesOnce.Do(installDictionaries)
	var words []string
	for _, path := range dictionaries {
		f, err := os.Open(path)
		if err != nil {
			t.Skipf("SKIPPED: the word lists wfrench and wamerican are needed (%v); install them: apt-get install wfrench wamerican (%s)", err, dictionariesInstall)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if w := strings.TrimSpace(sc.Text()); w != "" {
				words = append(words, w)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
	}
	if len(words) < 400000 {
		t.Fatalf("%d dictionary words: the word lists are incomplete", len(words))
	}
	return words
}

var (
	dictionariesOnce    sync.Once
	dictionariesInstall = "not attempted"
)

func installDictionaries() {
	missing := false
	for _, path := range dictionaries {
		if _, err := os.Stat(path); err != nil {
			missing = true
		}
	}
	if !missing {
		return
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		dictionariesInstall = "apt-get unavailable or not root"
		return
	}
	out, err := exec.Command("apt-get", "install", "-y", "-qq", "wfrench", "wamerican").CombinedOutput()
	if err != nil {
		dictionariesInstall = "apt-get install failed: " + strings.TrimSpace(string(out))
		return
	}
	dictionariesInstall = "installed"
}

// inflectionEndings are the skeleton endings of an inflection (see above).
var inflectionEndings = []string{"", "e", "s", "es", "x", " s"}

// plainFold folds s as the skeleton does (case, accents, homoglyphs;
// punctuation a single space) but keeps repeated letters: "Conn" is
// "conn", not "con".
func plainFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		var f folded
		if r < utf8.RuneSelf {
			f = asciiFolds[r]
		} else {
			f = foldRune(r)
		}
		switch f.class {
		case classIgnore:
		case classLetter, classDigit:
			b.WriteString(f.fold)
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// meant reports whether word, caught by pattern, is what the pattern
// means: the watched word, an inflection of it, or a derivation its
// wildcard asks for.
func meant(word, pattern string) bool {
	w, p := plainFold(word), plainFold(strings.Trim(pattern, "*"))
	switch {
	case strings.HasSuffix(pattern, "*") && strings.HasPrefix(w, p):
		return true
	case strings.HasPrefix(pattern, "*") && strings.HasSuffix(w, p):
		return true
	}
	for _, e := range inflectionEndings {
		if w == p+e {
			return true
		}
	}
	return false
}

func TestDefaultRulesOnDictionaries(t *testing.T) {
	words := dictionaryWords(t)
	rs := defaultRuleSet(t, "fr")
	caught, falsePositives := 0, 0
	for _, word := range words {
		found := rs.words.Match(word)
		if len(found) == 0 {
			continue
		}
		caught++
		for _, m := range found {
			if !meant(word, m.Pattern) {
				falsePositives++
				t.Errorf("the dictionary word %q is caught by %q (%q)", word, m.Pattern, word[m.Start:m.End])
				break
			}
		}
	}
	t.Logf("%d dictionary words: %d caught, all watched words or their inflections; %d false positives", len(words), caught, falsePositives)
	if falsePositives != 0 {
		t.Errorf("%d false positives, want 0", falsePositives)
	}
}
