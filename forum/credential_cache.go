package forum

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ChannelMembers is the NOTIFY channel on which the database announces the
// members whose row, sessions, API tokens or notifications changed: their
// ids separated by commas, or "" for anyone (migration 0029).
const ChannelMembers = "palabre_members"

// ChannelSync carries the markers with which a write request waits until its
// instance has heard the announcements of its changes (DB.SettleWrite).
const ChannelSync = "palabre_sync"

// credentialTTL bounds how long a remembered credential is trusted without
// hearing from the database: a change whose announcement was lost (a
// LISTEN connection that broke silently) is seen after this long at most.
const credentialTTL = 30 * time.Second

// credentialCache remembers whom a session cookie or an API token belongs
// to: the member row, the session or token, and the unread badge, which
// the authentication query reads at every request a member makes (half the
// database's work on a member's page). It answers only while it can be
// right:
//
//   - another instance's change (a ban, a revoked token, a new
//     notification) is announced by the database's triggers on
//     ChannelMembers and forgets that member's credentials here;
//   - this instance's own writes are seen at once: a member's write request
//     forgets that member when it ends (ForgetMember), and any other write
//     request is answered only once this instance has heard its
//     announcements (SettleWrite). A member who logs out, a moderator who
//     bans, is never answered from a memory older than their action, and
//     the next request on this instance sees it;
//   - a lookup that began before an announcement is not stored after it
//     (seq, stale), so a slow read cannot put back what was just forgotten;
//   - it is used only while a LISTEN connection carrying ChannelMembers is
//     up (Listen), and forgets everything when that connection comes back;
//   - an entry is trusted for credentialTTL at most.
//
// Time-bound rules (a session's expiry, a suspension's end) are checked
// against the clock at each request, as with a fresh read.
type credentialCache struct {
	listeners atomic.Int32  // LISTEN connections up that carry ChannelMembers
	seq       atomic.Uint64 // invalidations so far
	hits      atomic.Uint64
	misses    atomic.Uint64

	mu       sync.RWMutex
	entries  map[string]*credential // by kind and token hash
	byMember map[int64][]string     // the keys of each member's entries
	stale    map[int64]uint64       // the seq of each member's last invalidation
	floor    uint64                 // lookups that began before it are not stored

	// SettleWrite's markers: the handle's prefix, the last number, and the
	// writers waiting for theirs.
	markersMu    sync.Mutex
	markerPrefix string
	markerSeq    uint64
	markers      map[string]chan struct{}
}

// credential is what one authentication query read.
type credential struct {
	member        Member
	session       Session    // cookies
	tokenID       int64      // API tokens
	tokenLastUsed *time.Time // API tokens
	stored        time.Time
}

const (
	// maxStale bounds the invalidations remembered one by one; past it
	// they are summed up as a floor.
	maxStale = 4096
	// maxCredentials bounds the entries (a few hundred bytes each); past
	// it the cache starts again empty.
	maxCredentials = 20000
)

// usable reports whether lookups may be answered from memory now.
func (cc *credentialCache) usable() bool {
	return cc.listeners.Load() > 0
}

// get returns a copy of the entry under key, nil when there is none that
// may be used.
func (cc *credentialCache) get(key string) *credential {
	if !cc.usable() {
		cc.misses.Add(1)
		return nil
	}
	cc.mu.RLock()
	e := cc.entries[key]
	cc.mu.RUnlock()
	if e == nil || time.Since(e.stored) > credentialTTL {
		cc.misses.Add(1)
		return nil
	}
	cc.hits.Add(1)
	c := *e
	return &c
}

// CredentialCacheStats returns how many authentications were answered from
// memory and how many read the database.
func (db *DB) CredentialCacheStats() (hits, misses uint64) {
	return db.creds.hits.Load(), db.creds.misses.Load()
}

// begin marks the start of a lookup in the database: the entry it reads may
// be stored only if no invalidation of its member came after this point.
func (cc *credentialCache) begin() uint64 { return cc.seq.Load() }

// put stores what a lookup that began at since read, unless its member was
// invalidated since (the read may predate the change).
func (cc *credentialCache) put(key string, since uint64, c credential) {
	if cc.listeners.Load() == 0 {
		return
	}
	c.stored = time.Now()
	id := c.member.ID
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if since < cc.floor || cc.stale[id] > since {
		return
	}
	if cc.entries == nil || len(cc.entries) >= maxCredentials {
		cc.entries, cc.byMember = map[string]*credential{}, map[int64][]string{}
	}
	if _, ok := cc.entries[key]; !ok {
		cc.byMember[id] = append(cc.byMember[id], key)
	}
	cc.entries[key] = &c
}

// forget drops the entries of the given members.
func (cc *credentialCache) forget(ids ...int64) {
	v := cc.seq.Add(1)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.stale)+len(ids) > maxStale {
		cc.stale, cc.floor = nil, v
	}
	if cc.stale == nil {
		cc.stale = map[int64]uint64{}
	}
	for _, id := range ids {
		for _, key := range cc.byMember[id] {
			delete(cc.entries, key)
		}
		delete(cc.byMember, id)
		if v > cc.floor {
			cc.stale[id] = v
		}
	}
}

// forgetAll drops every entry.
func (cc *credentialCache) forgetAll() {
	v := cc.seq.Add(1)
	cc.mu.Lock()
	cc.entries, cc.byMember, cc.stale, cc.floor = nil, nil, nil, v
	cc.mu.Unlock()
}

// announced handles a notification on ChannelMembers.
func (cc *credentialCache) announced(payload string) {
	if payload == "" {
		cc.forgetAll()
		return
	}
	ids := make([]int64, 0, strings.Count(payload, ",")+1)
	for field := range strings.SplitSeq(payload, ",") {
		id, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			cc.forgetAll()
			return
		}
		ids = append(ids, id)
	}
	cc.forget(ids...)
}

// ForgetMember forgets what is remembered of member id's credentials: a
// request of theirs that may have changed them ends with it.
func (db *DB) ForgetMember(id int64) { db.creds.forget(id) }

// SettleWrite ends a request that may have changed anyone's credentials (a
// staff member's or an anonymous write request, server/auth.go): it returns
// once this instance has heard every announcement committed before it, so
// that every request after the answer sees the change.
//
// It sends a marker on ChannelSync and waits for it to come back on the
// LISTEN connection: PostgreSQL delivers notifications in the order of their
// transactions' commits, and Listen handles them one after the other, so
// the announcements of the request's own transactions have been handled by
// then. A write that changed no credentials leaves the others remembered.
// If the marker cannot be sent or does not come back in time, everything
// remembered is forgotten instead.
func (db *DB) SettleWrite(ctx context.Context) {
	cc := &db.creds
	if cc.listeners.Load() == 0 {
		return // nothing is remembered (listening calls forgetAll when it comes back)
	}
	marker, heard := cc.awaitMarker()
	defer cc.dropMarker(marker)
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	// Marking does not wait for the disk: a NOTIFY holds the queue's lock
	// until its commit is flushed (DEVELOPING.md).
	if _, err := db.pool.ExecContext(ctx, `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`,
		ChannelSync, marker); err != nil {
		cc.forgetAll()
		return
	}
	select {
	case <-heard:
	case <-ctx.Done():
		cc.forgetAll()
	}
}

// settleTimeout bounds how long SettleWrite waits for its marker.
const settleTimeout = 2 * time.Second

// awaitMarker returns a new marker of this handle and the channel closed
// when it is heard.
func (cc *credentialCache) awaitMarker() (string, <-chan struct{}) {
	cc.markersMu.Lock()
	defer cc.markersMu.Unlock()
	if cc.markerPrefix == "" {
		cc.markerPrefix = strconv.FormatUint(rand.Uint64(), 36) + ":"
	}
	if cc.markers == nil {
		cc.markers = map[string]chan struct{}{}
	}
	cc.markerSeq++
	marker := cc.markerPrefix + strconv.FormatUint(cc.markerSeq, 10)
	heard := make(chan struct{})
	cc.markers[marker] = heard
	return marker, heard
}

func (cc *credentialCache) dropMarker(marker string) {
	cc.markersMu.Lock()
	delete(cc.markers, marker)
	cc.markersMu.Unlock()
}

// heardMarker handles a notification on ChannelSync: a marker of this
// handle wakes its writer; another instance's is ignored; "" (the LISTEN
// connection came back, after everything was forgotten) wakes every writer.
func (cc *credentialCache) heardMarker(payload string) {
	cc.markersMu.Lock()
	defer cc.markersMu.Unlock()
	if payload == "" {
		for marker, heard := range cc.markers {
			close(heard)
			delete(cc.markers, marker)
		}
		return
	}
	if heard, ok := cc.markers[payload]; ok {
		close(heard)
		delete(cc.markers, payload)
	}
}

// listening tracks a LISTEN connection that carries ChannelMembers: up
// reports it listening (after every handler was called with ""), down
// lost or closed.
func (cc *credentialCache) listening(up bool) {
	if up {
		cc.listeners.Add(1)
	} else {
		cc.listeners.Add(-1)
	}
}
