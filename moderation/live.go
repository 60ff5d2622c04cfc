package moderation

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/palabre/palabre/forum"
)

// ChannelReview is the NOTIFY channel on which the database tells every
// instance that a review item arrived, was claimed or resolved (a trigger
// of migration 0008).
const ChannelReview = "palabre_review"

// QueueEvent is a change of the review queue. An event with ID 0 means
// "anything may have changed" (the listener reconnected).
type QueueEvent struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	ClaimedBy *int64 `json:"claimed_by"`
	Version   int    `json:"version"`
}

// Live fans the queue's changes out to the moderators' open pages. It
// listens to PostgreSQL only while someone watches, on its own connection,
// so that every instance hears the changes made on any other.
type Live struct {
	db  *forum.DB
	log *slog.Logger

	mu     sync.Mutex
	subs   map[chan QueueEvent]struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// NewLive returns the fan-out over db.
func NewLive(db *forum.DB, log *slog.Logger) *Live {
	return &Live{db: db, log: log, subs: map[chan QueueEvent]struct{}{}}
}

// Subscribe returns a channel of the queue's changes and the function that
// ends the subscription. A slow reader misses events rather than blocking
// the others: each event says only "look again".
func (l *Live) Subscribe() (<-chan QueueEvent, func()) {
	ch := make(chan QueueEvent, 16)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	if l.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		l.cancel, l.done = cancel, done
		go func() {
			defer close(done)
			var inv forum.Invalidations
			inv.On(ChannelReview, l.publish)
			err := l.db.Listen(ctx, l.log, &inv)
			if err != nil {
				l.log.Error("listening to the review queue", "error", err)
			}
		}()
	}
	l.mu.Unlock()
	return ch, func() { l.unsubscribe(ch) }
}

func (l *Live) unsubscribe(ch chan QueueEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.subs[ch]; !ok {
		return
	}
	delete(l.subs, ch)
	if len(l.subs) == 0 && l.cancel != nil {
		l.cancel()
		l.cancel, l.done = nil, nil
	}
}

// Close stops listening.
func (l *Live) Close() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.cancel, l.done = nil, nil
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// publish sends a notification's payload to every subscriber.
func (l *Live) publish(payload string) {
	var ev QueueEvent
	if payload != "" {
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			l.log.Warn("review queue notification", "payload", payload, "error", err)
			return
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
		select {
		case ch <- ev:
		default: // the reader is behind; it will catch up at its next event
		}
	}
}
