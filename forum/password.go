package forum

// common_passwords.txt holds the first 1,000 lines of SecLists
// Passwords/Common-Credentials/10k-most-common.txt (github.com/danielmiessler/
// SecLists, commit 4f84b3c2, MIT licence), unchanged.

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Bounds of a password, in runes.
const (
	PasswordMinLength = 10
	PasswordMaxLength = 256
)

// passwordMaxInputBytes is the longest input worth hashing: no password this
// long can have been set, so longer input is refused without work.
const passwordMaxInputBytes = PasswordMaxLength * utf8.UTFMax

// argon2Params are the cost parameters of an argon2id hash.
type argon2Params struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	saltLen int
	keyLen  int
}

// currentArgon2 is OWASP's first argon2id configuration (m=19 MiB, t=2, p=1)
// rather than m=46 MiB, t=1: the same cost in time, but every concurrent login
// holds 19 MiB instead of 46, which matters on the small hosts Palabre runs on.
var currentArgon2 = argon2Params{memory: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// Bounds on parameters read from a stored hash, so that a corrupt or hostile
// row cannot make a login allocate gigabytes.
const (
	argon2MaxMemory  = 256 * 1024 // KiB
	argon2MaxTime    = 16
	argon2MaxThreads = 16
)

// DummyPasswordHash is a valid hash, with the current parameters, of a
// random password nobody knows; see EqualizeTiming.
const DummyPasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$izw+e0mKfRywETuk6uXmXQ$K+615QW6auFcUSc6hAeMhdwKtGYNl3UqLenT0D3gEuE"

//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is the set of common passwords, lower-cased.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 1000)
	for line := range strings.Lines(commonPasswordsFile) {
		if pw := strings.ToLower(strings.TrimSpace(line)); pw != "" {
			set[pw] = struct{}{}
		}
	}
	return set
})

// HashPassword returns the argon2id hash of pw as a PHC string.
func HashPassword(pw string) (string, error) {
	p := currentArgon2
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", Internal("hash password", err)
	}
	key := argon2.IDKey(passwordBytes(pw), salt, p.time, p.memory, p.threads, uint32(p.keyLen))
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string encoded and, when
// it does, whether the hash should be replaced because its parameters are not
// the current ones. A malformed hash is an internal error.
func VerifyPassword(encoded, pw string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := parsePasswordHash(encoded)
	if err != nil {
		return false, false, Internal("verify password", err)
	}
	if len(pw) > passwordMaxInputBytes {
		return false, false, nil
	}
	got := argon2.IDKey(passwordBytes(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != currentArgon2, nil
}

// EqualizeTiming spends the time of a password check when there is no hash to
// check against (unknown account, account without password), so that the
// time of a failed login does not tell whether an account exists.
func EqualizeTiming(pw string) {
	_, _, _ = VerifyPassword(DummyPasswordHash, pw)
}

// CheckPassword refuses a new password that is too short, too long, common,
// or the member's own username or email address.
func CheckPassword(pw, username, email string) error {
	if len(pw) > passwordMaxInputBytes {
		return passwordError("member.password_too_long", map[string]any{"Max": PasswordMaxLength})
	}
	s, err := precis.OpaqueString.String(pw)
	if err != nil && pw != "" {
		return passwordError("member.password_invalid", nil)
	}
	if n := utf8.RuneCountInString(s); n < PasswordMinLength {
		return passwordError("member.password_too_short", map[string]any{"Min": PasswordMinLength})
	} else if n > PasswordMaxLength {
		return passwordError("member.password_too_long", map[string]any{"Max": PasswordMaxLength})
	}
	folded := strings.ToLower(s)
	if isOwnIdentity(folded, username, email) {
		return passwordError("member.password_like_username", nil)
	}
	// Every entry of the list is shorter than the minimum length, so the
	// list would never match alone: also refuse a common password padded
	// with digits or symbols ("password123!", "2024sunshine").
	core := strings.TrimFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) })
	set := commonPasswords()
	_, whole := set[folded]
	_, padded := set[core]
	if whole || padded {
		return passwordError("member.password_common", nil)
	}
	return nil
}

// isOwnIdentity reports whether the lower-cased password is the username, the
// email address or its local part.
func isOwnIdentity(folded, username, email string) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	local := email
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		local = email[:at]
	}
	for _, id := range []string{strings.ToLower(strings.TrimSpace(username)), email, local} {
		if id != "" && folded == id {
			return true
		}
	}
	return false
}

// passwordBytes is the form of a password that is hashed: PRECIS OpaqueString
// (RFC 8265) composes it to NFC and maps non-ASCII spaces to ASCII, so that the
// same password typed on two keyboards gives the same hash. Input that profile
// refuses (control characters, which CheckPassword refuses too) is hashed NFC.
func passwordBytes(pw string) []byte {
	s, err := precis.OpaqueString.String(pw)
	if err != nil {
		s = norm.NFC.String(pw)
	}
	return []byte(s)
}

var errPasswordHashFormat = errors.New("not an argon2id PHC string")

// parsePasswordHash reads "$argon2id$v=19$m=…,t=…,p=…$salt$hash", strictly.
func parsePasswordHash(encoded string) (p argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errPasswordHashFormat
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("argon2id version %q not supported", parts[2])
	}
	values := strings.Split(parts[3], ",")
	if len(values) != 3 {
		return p, nil, nil, errPasswordHashFormat
	}
	var numbers [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(values[i], name+"=")
		if !ok {
			return p, nil, nil, errPasswordHashFormat
		}
		if numbers[i], err = strconv.ParseUint(v, 10, 32); err != nil {
			return p, nil, nil, fmt.Errorf("argon2id parameter %s: %w", name, err)
		}
	}
	m, t, threads := numbers[0], numbers[1], numbers[2]
	if threads < 1 || threads > argon2MaxThreads || t < 1 || t > argon2MaxTime ||
		m < 8*threads || m > argon2MaxMemory {
		return p, nil, nil, fmt.Errorf("argon2id parameters m=%d,t=%d,p=%d out of bounds", m, t, threads)
	}
	if salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id salt: %w", err)
	}
	if key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id hash: %w", err)
	}
	if len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errors.New("argon2id salt or hash length out of bounds")
	}
	p = argon2Params{memory: uint32(m), time: uint32(t), threads: uint8(threads), saltLen: len(salt), keyLen: len(key)}
	return p, salt, key, nil
}

func passwordError(key string, args map[string]any) error {
	return Errorf(EINVALID, key, args).OnField("password")
}
