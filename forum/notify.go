package forum

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// Listen subscribes to the channels registered on inv and runs their
// handlers with each notification's payload, until ctx ends. This is how
// in-process caches (settings, compiled rules, cached pages, credentials)
// stay right on every instance. After a lost connection every handler is
// called with "", since notifications may have been missed. Main runs it.
func (db *DB) Listen(ctx context.Context, log *slog.Logger, inv *Invalidations) error {
	var up atomic.Bool
	setUp := func(v bool) {
		if up.CompareAndSwap(!v, v) {
			inv.setListening(v)
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
	for _, ch := range inv.channels() {
		if err := l.Listen(ch); err != nil {
			return Internal("listening to "+ch, err)
		}
	}
	// A change made before the listener started would be missed otherwise.
	inv.dropAll()
	setUp(true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l.Notify:
			if n == nil { // reconnected: anything may have changed
				inv.dropAll()
				setUp(true)
				continue
			}
			inv.notify(n.Channel, n.Extra)
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

// RegisterCaches registers the storage's own caches on inv.
func (db *DB) RegisterCaches(inv *Invalidations) {
	inv.Drops(ChannelSettings, db.settings)
	inv.On(ChannelMembers, db.creds.announced)
	inv.On(ChannelSync, db.creds.heardMarker)
	inv.OnListening(db.creds.listening)
	inv.On(ChannelContent, func(payload string) {
		// Posting reads the guidelines cache (RequirePoster): only a
		// change of the guidelines empties it (migration 0041), or a
		// listener that (re)connected and may have missed one ("").
		if payload == ContentGuidelines || payload == "" {
			db.guidelines.Drop()
		}
		db.snapshots.Drop()
		db.latestLists.Drop()
		db.latestCategories.Drop()
		db.faces.Drop()
	})
}
