package forum

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// Listen subscribes to PostgreSQL NOTIFY channels and calls each channel's
// handler with the payload, until ctx ends. This is how in-process caches
// (settings, compiled rules, cached pages) stay right on every instance.
// After a lost connection every handler is called with "", since
// notifications may have been missed.
//
// While a connection carrying ChannelMembers and ChannelSync is up, the
// credentials of members are remembered between requests
// (credential_cache.go); they are not while it is down.
func (db *DB) Listen(ctx context.Context, log *slog.Logger, handlers map[string]func(payload string)) error {
	_, members := handlers[ChannelMembers]
	if _, settles := handlers[ChannelSync]; !settles {
		members = false
	}
	var up atomic.Bool
	setUp := func(v bool) {
		if members && up.CompareAndSwap(!v, v) {
			db.creds.listening(v)
		}
	}
	defer setUp(false)
	work := db.Work("listen", log)
	l := pq.NewListener(db.url, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if ev == pq.ListenerEventDisconnected {
			setUp(false)
		}
		switch {
		case err != nil:
			// Logged once for the outage, however many attempts to
			// reconnect fail.
			work.Down("LISTEN connection", err)
		case ev == pq.ListenerEventConnected || ev == pq.ListenerEventReconnected:
			work.Succeeded()
		}
	})
	defer l.Close()
	for ch := range handlers {
		if err := l.Listen(ch); err != nil {
			return Internal("listening to "+ch, err)
		}
	}
	// A change made before the listener started would be missed otherwise.
	for _, h := range handlers {
		h("")
	}
	setUp(true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l.Notify:
			if n == nil { // reconnected: anything may have changed
				for _, h := range handlers {
					h("")
				}
				setUp(true)
				continue
			}
			if h := handlers[n.Channel]; h != nil {
				h(n.Extra)
			}
		case <-time.After(90 * time.Second):
			go func() { _ = l.Ping() }() // a failed ping shows as a broken connection event
		}
	}
}

// ChannelContent is the NOTIFY channel that database triggers signal on
// any change to what pages show (migration 0006).
const ChannelContent = "palabre_content"

// ContentGuidelines is the payload of ChannelContent when the guidelines
// changed.
const ContentGuidelines = "guidelines"

// CacheHandlers are the NOTIFY handlers of the storage's own caches.
func (db *DB) CacheHandlers() map[string]func(string) {
	return map[string]func(string){
		ChannelSettings: func(string) { db.InvalidateSettings() },
		ChannelMembers:  db.creds.announced,
		ChannelSync:     db.creds.heardMarker,
		ChannelContent: func(payload string) {
			// Posting reads the guidelines cache (RequirePoster): only a
			// change of the guidelines empties it (migration 0041), or a
			// listener that (re)connected and may have missed one ("").
			if payload == ContentGuidelines || payload == "" {
				db.InvalidateGuidelines()
			}
			db.snapshots.invalidate()
			db.latest.invalidate()
		},
	}
}

// MergeHandlers combines handler maps; handlers of the same channel all run.
func MergeHandlers(sets ...map[string]func(string)) map[string]func(string) {
	out := map[string]func(string){}
	for _, set := range sets {
		for ch, h := range set {
			if prev := out[ch]; prev != nil {
				out[ch] = func(p string) { prev(p); h(p) }
			} else {
				out[ch] = h
			}
		}
	}
	return out
}
