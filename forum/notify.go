package forum

import (
	"context"
	"log/slog"
	"time"

	"github.com/lib/pq"
)

// Listen subscribes to PostgreSQL NOTIFY channels and calls each channel's
// handler with the payload, until ctx ends. This is how in-process caches
// (settings, compiled rules, cached pages) stay right on every instance.
// After a lost connection every handler is called with "", since
// notifications may have been missed.
func (db *DB) Listen(ctx context.Context, log *slog.Logger, handlers map[string]func(payload string)) error {
	l := pq.NewListener(db.url, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("LISTEN connection", "event", ev, "error", err)
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
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l.Notify:
			if n == nil { // reconnected: anything may have changed
				for _, h := range handlers {
					h("")
				}
				continue
			}
			if h := handlers[n.Channel]; h != nil {
				h(n.Extra)
			}
		case <-time.After(90 * time.Second):
			go l.Ping()
		}
	}
}

// ChannelContent is the NOTIFY channel that database triggers signal on
// any change to what pages show (migration 0006).
const ChannelContent = "palabre_content"

// CacheHandlers are the NOTIFY handlers of the storage's own caches.
func (db *DB) CacheHandlers() map[string]func(string) {
	return map[string]func(string){
		ChannelSettings: func(string) { db.InvalidateSettings() },
		ChannelContent: func(string) {
			db.InvalidateGuidelines()
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
