package forum

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// KnownDeviceLifetime is how long a browser stays known to an account after
// its last successful log-in.
const KnownDeviceLifetime = 365 * 24 * time.Hour

// A known-device cookie says that its holder logged in to an account
// before: "member id.device id.signature", signed with HMAC-SHA-256 under
// a key kept in the database (site_keys, migration 0037), so that every
// instance accepts it and nobody can forge it. Its holder's password
// attempts on that account are counted per device (LimitLoginPerDevice)
// instead of against the limits that strangers share, so that a stranger
// who keeps failing cannot keep the owner out. It proves nothing else: the
// password is still needed.

// deviceSigningKey returns the key that signs known-device cookies, read
// once.
func (db *DB) deviceSigningKey(ctx context.Context) ([]byte, error) {
	if k := db.deviceKey.Load(); k != nil {
		return *k, nil
	}
	var k []byte
	if err := db.pool.GetContext(ctx, &k, `SELECT value FROM site_keys WHERE name = 'known_device'`); err != nil {
		return nil, Internal("reading the device key", err)
	}
	db.deviceKey.Store(&k)
	return k, nil
}

func signDevice(key []byte, payload string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("known_device\x1f" + payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// knownDevice returns the device id of cookie when it is a valid
// known-device cookie of memberID, "" otherwise.
func (db *DB) knownDevice(ctx context.Context, cookie string, memberID int64) (string, error) {
	if cookie == "" || len(cookie) > 200 {
		return "", nil
	}
	parts := strings.Split(cookie, ".")
	if len(parts) != 3 || parts[0] != strconv.FormatInt(memberID, 10) || parts[1] == "" {
		return "", nil
	}
	key, err := db.deviceSigningKey(ctx)
	if err != nil {
		return "", err
	}
	want := signDevice(key, parts[0]+"."+parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return "", nil
	}
	return parts[1], nil
}

// KnownDeviceCookie returns the value of the known-device cookie to give a
// browser where memberID has just logged in: the same device as current
// when current is valid for that member, a new one otherwise.
func (db *DB) KnownDeviceCookie(ctx context.Context, memberID int64, current string) (string, error) {
	id, err := db.knownDevice(ctx, current, memberID)
	if err != nil {
		return "", err
	}
	if id == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", Internal("new device id", err)
		}
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	key, err := db.deviceSigningKey(ctx)
	if err != nil {
		return "", err
	}
	payload := strconv.FormatInt(memberID, 10) + "." + id
	return payload + "." + signDevice(key, payload), nil
}
