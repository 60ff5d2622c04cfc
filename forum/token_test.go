package forum

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	for _, prefix := range []string{"", APITokenPrefix} {
		plain, hash, err := NewToken(prefix)
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(plain, prefix)
		if !ok {
			t.Fatalf("token %q does not start with %q", plain, prefix)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token body %q: %d bytes, %v; want 32 bytes of unpadded base64url", body, len(raw), err)
		}
		if len(body) != 43 || strings.ContainsAny(body, "+/=") {
			t.Errorf("token body %q is not 43 URL-safe characters", body)
		}
		if !bytes.Equal(hash, HashToken(plain)) {
			t.Error("NewToken's hash differs from HashToken(plain)")
		}
	}
}

func TestNewTokenIsUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		plain, _, err := NewToken("")
		if err != nil {
			t.Fatal(err)
		}
		if seen[plain] {
			t.Fatalf("token %q drawn twice", plain)
		}
		seen[plain] = true
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	want := []byte{
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	}
	if got := HashToken("abc"); !bytes.Equal(got, want) {
		t.Errorf("HashToken(abc) = %x, want %x", got, want)
	}
	if len(HashToken("")) != sha256.Size {
		t.Error("HashToken is not 32 bytes")
	}
	// The prefix is part of what is hashed: a session id cannot pass for an
	// API token or the other way round.
	if bytes.Equal(HashToken("plb_x"), HashToken("x")) {
		t.Error("the prefix is not hashed")
	}
}
