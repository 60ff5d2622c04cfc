package server

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// secondInstance starts another server over its own connection pool to
// the same database, listening to NOTIFY as `palabre serve` does; notified
// receives the channel of every notification once its handlers have run.
func secondInstance(t *testing.T) (*Server, <-chan string) {
	t.Helper()
	s, notified, _ := pausableInstance(t)
	return s, notified
}

// pausableInstance is secondInstance whose announcements of members'
// changes can be held back: while the returned mutex is locked, its
// credential cache hears nothing.
func pausableInstance(t *testing.T) (*Server, <-chan string, *sync.Mutex) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := forumtest.Instance(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfg, err := LoadConfig(func(k string) string { return map[string]string{"PALABRE_PAGE_CACHE": "off"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, db, log)
	if err != nil {
		t.Fatal(err)
	}
	notified := make(chan string, 64)
	var hold sync.Mutex
	var handlers forum.Invalidations
	handlers.On(forum.ChannelMembers, func(string) { hold.Lock(); hold.Unlock() }) //nolint:staticcheck // SA2001: waits while the test holds the lock
	db.RegisterCaches(&handlers)
	s.RegisterCaches(&handlers)
	for _, ch := range []string{forum.ChannelSettings, moderation.ChannelRules} {
		handlers.On(ch, func(string) { notified <- ch })
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := db.Listen(ctx, log, &handlers); err != nil && ctx.Err() == nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	// Listen calls every handler once it listens: from then on nothing is
	// missed.
	for range 2 {
		select {
		case <-notified:
		case <-time.After(10 * time.Second):
			t.Fatal("the second instance does not listen")
		}
	}
	return s, notified, &hold
}

// waitNotified waits for a notification on channel until deadline.
func waitNotified(t *testing.T, notified <-chan string, channel string, deadline time.Time) {
	t.Helper()
	for {
		select {
		case ch := <-notified:
			if ch == channel {
				return
			}
		case <-time.After(time.Until(deadline)):
			t.Fatalf("no %s notification within a second", channel)
		}
	}
}

// A rule or a setting changed through one instance takes effect on another
// within a second, without a restart.
func TestTwoInstancesSeeRuleAndSettingChangesWithinASecond(t *testing.T) {
	s1 := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	auth := bearer(t, db, admin)
	s2, notified := secondInstance(t)
	word := forumtest.Unique("frobnicator")
	ctx2 := forumtest.As(admin)

	// Warm the second instance's caches first: what it holds must change.
	if res, err := s2.Pipeline().TestText(ctx2, "un "+word); err != nil || res.Verdict.Outcome != moderation.OutcomePublish {
		t.Fatalf("before: %+v %v", res, err)
	}
	st, err := s2.db.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	oldDays := st.TL3PromotionMinDays

	start := time.Now()
	deadline := start.Add(time.Second)
	w := s1.do(t, request{method: "POST", path: "/api/v1/rules", header: auth,
		body: `{"name": "` + forumtest.Unique("Propagation ") + `", "kind": "words", "patterns": ["` + word + `"], "action": "block"}`})
	if w.Code != 201 {
		t.Fatalf("create on instance 1: %d %s", w.Code, w.Body)
	}
	waitNotified(t, notified, moderation.ChannelRules, deadline)
	// The notification starts a rebuild in the background: wait for it to
	// be swapped in, within the second.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := s2.Pipeline().TestText(ctx2, "un "+word)
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict.Outcome == moderation.OutcomeReject {
			break
		}
		select {
		case <-tick.C:
		case <-time.After(time.Until(deadline)):
			t.Fatalf("instance 2 still publishes the word a second after the rule was created")
		}
	}
	t.Logf("rule applied on the second instance after %s", time.Since(start))

	start = time.Now()
	deadline = start.Add(time.Second)
	patchSettings(t, s1, auth, `{"tl3_promotion_min_duration": `+itoa(oldDays+1)+`}`)
	t.Cleanup(func() { patchSettings(t, s1, auth, `{"tl3_promotion_min_duration": `+itoa(oldDays)+`}`) })
	waitNotified(t, notified, forum.ChannelSettings, deadline)
	w = s2.do(t, request{path: "/api/v1/settings", header: auth})
	if !strings.Contains(w.Body.String(), `"tl3_promotion_min_duration":`+itoa(oldDays+1)) {
		t.Errorf("instance 2 settings after the change: %s", w.Body)
	}
}
