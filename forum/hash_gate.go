package forum

import (
	"context"
	"sync/atomic"
	"time"
)

// HashGate bounds the argon2id work done at once. Each hash holds its
// memory parameter (19 MiB) for its whole run: 64 log-ins at once took an
// instance from 35 MB to 418-526 MB (issue 19). Through the gate, at most
// Slots hashes run at once, and a request that cannot get a slot within
// its wait is refused (EUNAVAILABLE, Retry-After) rather than piling up.
// Log-ins, known accounts or not (the dummy hash too, so that an unknown
// name costs the same), sign-ups, password changes and resets all pass it.
type HashGate struct {
	slots   chan struct{}
	wait    time.Duration
	checked atomic.Int64 // hashes done (/metrics)
	refused atomic.Int64 // requests turned away (/metrics)
}

// hashMemoryBudget is how much memory hashing may hold at once by default.
const hashMemoryBudget = 48 << 20 // bytes

// HashMemory is how many bytes one hash holds while it runs (argon2id's
// memory parameter).
func HashMemory() int64 { return int64(currentArgon2.memory) * 1024 }

// DefaultHashSlots is the default bound: as many hashes as fit in
// hashMemoryBudget with the current parameters (2 at 19 MiB), which on two
// cores is also about as many as run at full speed.
func DefaultHashSlots() int {
	return max(1, hashMemoryBudget/(int(currentArgon2.memory)*1024))
}

// DefaultHashWait is how long a request waits for a slot by default: a few
// hashes' time (each takes 30-100 ms; seconds under the race detector on a busy machine).
const DefaultHashWait = 10 * time.Second

// NewHashGate returns a gate of slots concurrent hashes (at least one),
// where a request waits at most wait for its turn.
func NewHashGate(slots int, wait time.Duration) *HashGate {
	return &HashGate{slots: make(chan struct{}, max(1, slots)), wait: wait}
}

// Enter takes a slot, waiting at most the gate's wait: EUNAVAILABLE then.
// A caller that gets nil must call Leave.
func (g *HashGate) Enter(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-timer.C:
		g.refused.Add(1)
		return Errorf(EUNAVAILABLE, "auth.busy", nil).After(time.Second)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Leave gives the slot back.
func (g *HashGate) Leave() { <-g.slots }

// Checked is the number of hashes computed through the gate.
func (g *HashGate) Checked() int64 { return g.checked.Load() }

// Refused is the number of requests the gate turned away.
func (g *HashGate) Refused() int64 { return g.refused.Load() }

// SetHashGate replaces the gate that bounds this handle's hashing (the
// server sizes it from its configuration).
func (db *DB) SetHashGate(g *HashGate) { db.hashing.Store(g) }

// HashGate is the gate that bounds this handle's hashing.
func (db *DB) HashGate() *HashGate { return db.hashing.Load() }

// hashPassword is HashPassword through the gate.
func (db *DB) hashPassword(ctx context.Context, pw string) (string, error) {
	g := db.HashGate()
	if err := g.Enter(ctx); err != nil {
		return "", err
	}
	defer g.Leave()
	g.checked.Add(1)
	return HashPassword(pw)
}

// verifyPassword is VerifyPassword through the gate; an empty encoded hash
// (unknown account, account without a password) checks pw against
// DummyPasswordHash, in the same time, and never matches.
func (db *DB) verifyPassword(ctx context.Context, encoded, pw string) (ok, needsRehash bool, err error) {
	g := db.HashGate()
	if err := g.Enter(ctx); err != nil {
		return false, false, err
	}
	defer g.Leave()
	g.checked.Add(1)
	if encoded == "" {
		EqualizeTiming(pw)
		return false, false, nil
	}
	return VerifyPassword(encoded, pw)
}
