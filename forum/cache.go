package forum

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Every in-process cache of Palabre is a Cache, or registers on the one
// invalidation path, Invalidations: PostgreSQL announces changes with
// NOTIFY (database triggers), DB.Listen, which Main runs, hears them and
// calls what each cache registered for the channel, and calls every one
// with "" whenever its connection (re)starts, since notifications may
// have been missed. docs/DEVELOPING.md lists the caches and what each
// saves.

// Cache is a bounded in-memory map whose entries are dropped together: on
// a notification (Drop, registered on Invalidations), past their TTL, or
// when the budget is reached. A value read from the database before a
// Drop is never stored after it: Put takes the Generation read before the
// value was.
type Cache[K comparable, V any] struct {
	ttl    time.Duration // 0: until dropped
	budget int           // the sizes kept at most; 0: unbounded
	seed   maphash.Seed
	gen    atomic.Uint64

	mu      sync.RWMutex
	entries map[K]cacheEntry[V]
	size    int

	// loading is held, for a stripe of keys, while a value is read: the
	// readers of an entry that is missing or stale wait for one of them to
	// read it rather than all reading the same rows.
	loading [32]sync.Mutex
}

type cacheEntry[V any] struct {
	value  V
	stored time.Time
	size   int
}

// NewCache returns an empty cache whose entries live ttl at most (0: until
// dropped) and which starts over when the sizes given to Put pass budget
// (0: unbounded).
func NewCache[K comparable, V any](ttl time.Duration, budget int) *Cache[K, V] {
	return &Cache[K, V]{ttl: ttl, budget: budget, seed: maphash.MakeSeed()}
}

// Get returns the entry under k, if there is one younger than the TTL.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || (c.ttl > 0 && time.Since(e.stored) > c.ttl) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Generation is read before a value is read from the database, and given
// to Put with it.
func (c *Cache[K, V]) Generation() uint64 { return c.gen.Load() }

// Put keeps v under k, counting size against the budget, unless the cache
// was dropped since gen was read.
func (c *Cache[K, V]) Put(gen uint64, k K, v V, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen.Load() {
		return
	}
	if old, ok := c.entries[k]; ok {
		c.size -= old.size
	}
	if c.entries == nil || (c.budget > 0 && c.size+size > c.budget) {
		c.entries, c.size = map[K]cacheEntry[V]{}, 0
	}
	c.entries[k] = cacheEntry[V]{value: v, stored: time.Now(), size: size}
	c.size += size
}

// Size returns the number of entries and the sum of their sizes.
func (c *Cache[K, V]) Size() (entries, size int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries), c.size
}

// Drop empties the cache; reads that began before it are not stored.
func (c *Cache[K, V]) Drop() {
	c.mu.Lock()
	c.gen.Add(1)
	c.entries, c.size = nil, 0
	c.mu.Unlock()
}

// Loading locks the stripe of k's loads and returns its unlock: a reader
// that found no usable entry takes it, looks again, and reads the value
// only if it is still missing.
func (c *Cache[K, V]) Loading(k K) (unlock func()) {
	m := &c.loading[maphash.Comparable(c.seed, k)%uint64(len(c.loading))]
	m.Lock()
	return m.Unlock
}

// GetOrLoad returns the entry under k, or reads it with load (one reader
// at a time per stripe of keys) and keeps it.
func (c *Cache[K, V]) GetOrLoad(k K, load func() (V, error)) (V, error) {
	if v, ok := c.Get(k); ok {
		return v, nil
	}
	defer c.Loading(k)()
	if v, ok := c.Get(k); ok {
		return v, nil
	}
	gen := c.Generation()
	v, err := load()
	if err == nil {
		c.Put(gen, k, v, 1)
	}
	return v, err
}

// Invalidations is the one invalidation path of the in-process caches:
// each registers what to run when a NOTIFY channel it depends on carries
// a notification, and DB.Listen, which Main runs, calls it. Built before
// Listen starts; not changed after.
type Invalidations struct {
	handlers  map[string][]func(payload string)
	listening []func(up bool)
}

// On runs h with the payload of every notification on channel, in the
// order the transactions that sent them committed, and with "" when the
// listener (re)connects.
func (inv *Invalidations) On(channel string, h func(payload string)) {
	if inv.handlers == nil {
		inv.handlers = map[string][]func(string){}
	}
	inv.handlers[channel] = append(inv.handlers[channel], h)
}

// Drops empties c on every notification on channel.
func (inv *Invalidations) Drops(channel string, c interface{ Drop() }) {
	inv.On(channel, func(string) { c.Drop() })
}

// OnListening runs f(true) once the listener hears every registered
// channel (after every handler was called with ""), and f(false) when its
// connection is lost or it stops: a cache that must not answer while
// changes could be missed (credentials) follows it.
func (inv *Invalidations) OnListening(f func(up bool)) {
	inv.listening = append(inv.listening, f)
}

// Channels lists the registered channels.
func (inv *Invalidations) channels() []string {
	out := make([]string, 0, len(inv.handlers))
	for ch := range inv.handlers {
		out = append(out, ch)
	}
	return out
}

// notify runs the handlers of channel.
func (inv *Invalidations) notify(channel, payload string) {
	for _, h := range inv.handlers[channel] {
		h(payload)
	}
}

// dropAll calls every handler with "": anything may have changed.
func (inv *Invalidations) dropAll() {
	for _, hs := range inv.handlers {
		for _, h := range hs {
			h("")
		}
	}
}

func (inv *Invalidations) setListening(up bool) {
	for _, f := range inv.listening {
		f(up)
	}
}
