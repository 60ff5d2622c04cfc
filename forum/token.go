package forum

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// tokenBytes is the entropy of a token: 256 bits.
const tokenBytes = 32

// NewToken returns a fresh token, prefix followed by 32 random bytes in
// unpadded base64url, and the hash under which it is stored: APITokenPrefix
// for API tokens, "" for session ids. Only the hash is kept: a token is found
// by looking its hash up, never by the plain text.
func NewToken(prefix string) (plain string, hash []byte, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, Internal("new token", err)
	}
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), nil
}

// HashToken returns the SHA-256 of a token, prefix included. A fast hash is
// enough: tokens carry 256 random bits, so there is nothing to guess.
func HashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}
