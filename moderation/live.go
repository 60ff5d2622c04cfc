package moderation

import (
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
// hears them through Main's one listener (Register), so that every instance
// hears the changes made on any other; an event with ID 0 ("look again")
// comes when the listener (re)connects.
type Live struct {
	log *slog.Logger

	mu   sync.Mutex
	subs map[chan QueueEvent]struct{}
}

// NewLive returns an empty fan-out.
func NewLive(log *slog.Logger) *Live {
	return &Live{log: log, subs: map[chan QueueEvent]struct{}{}}
}

// Register has the listener of inv send the review channel's
// notifications to the subscribers.
func (l *Live) Register(inv *forum.Invalidations) {
	inv.On(ChannelReview, l.publish)
}

// Subscribe returns a channel of the queue's changes and the function that
// ends the subscription. A slow reader misses events rather than blocking
// the others: each event says only "look again".
func (l *Live) Subscribe() (<-chan QueueEvent, func()) {
	ch := make(chan QueueEvent, 16)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs, ch)
		l.mu.Unlock()
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
