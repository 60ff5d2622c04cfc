package moderation

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// rvPost starts a thread by a fresh member and returns its first post.
func rvPost(t *testing.T, p *Pipeline) (*Submitted, *forum.Member) {
	t.Helper()
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic)
	cat := forumtest.MustCategory(t, db)
	out, err := p.SubmitThread(forumtest.As(author), ThreadSubmission{CategoryID: cat.ID,
		Title: forumtest.Unique("Un sujet signalé "), Body: forumtest.Unique("Un message à signaler ")})
	if err != nil {
		t.Fatal(err)
	}
	return out, author
}

// rvSettings changes settings for the test and restores them after.
func rvSettings(t *testing.T, p *Pipeline, patch map[string]any) {
	t.Helper()
	before, err := p.db.Settings(adminCtx)
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]json.RawMessage{}
	raw := map[string]json.RawMessage{}
	all, _ := json.Marshal(before)
	var cur map[string]json.RawMessage
	if err := json.Unmarshal(all, &cur); err != nil {
		t.Fatal(err)
	}
	for k, v := range patch {
		b, _ := json.Marshal(v)
		raw[k], old[k] = b, cur[k]
	}
	if _, err := p.db.UpdateSettings(adminCtx, raw); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := p.db.UpdateSettings(adminCtx, old); err != nil {
			t.Error(err)
		}
	})
}

func codeOf(err error) string { return forum.ErrorCode(err) }

func TestReportsAreValidatedAndLimited(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	post, author := rvPost(t, p)
	reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	ctx := forumtest.As(reporter)
	rule := mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionFlag, Patterns: []string{forumtest.Unique("zzq")}})
	unknownRule := int64(1 << 40)

	cases := []struct {
		name string
		ctx  context.Context
		in   ReportInput
		code string
	}{
		{"anonymous", context.Background(), ReportInput{Reason: ReportSpam}, forum.EUNAUTHORIZED},
		{"unknown reason", ctx, ReportInput{Reason: "boring"}, forum.EINVALID},
		{"guideline without a rule", ctx, ReportInput{Reason: ReportGuideline}, forum.EINVALID},
		{"guideline with an unknown rule", ctx, ReportInput{Reason: ReportGuideline, RuleID: &unknownRule}, forum.EINVALID},
		{"other without a note", ctx, ReportInput{Reason: ReportOther, Note: "   "}, forum.EINVALID},
		{"control characters", ctx, ReportInput{Reason: ReportOther, Note: "bad\x1b[31m"}, forum.EINVALID},
		{"a note too long", ctx, ReportInput{Reason: ReportOther, Note: strings.Repeat("é", 1001)}, forum.ETOOLARGE},
		{"own post", forumtest.As(author), ReportInput{Reason: ReportSpam}, forum.EFORBIDDEN},
		{"unknown post", ctx, ReportInput{PostID: 1 << 40, Reason: ReportSpam}, forum.ENOTFOUND},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.in.PostID == 0 {
				c.in.PostID = post.Post.ID
			}
			_, err := p.ReportPost(c.ctx, c.in)
			if codeOf(err) != c.code {
				t.Fatalf("error %v, want %s", err, c.code)
			}
		})
	}

	r, err := p.ReportPost(ctx, ReportInput{PostID: post.Post.ID, Reason: ReportGuideline, RuleID: &rule.ID, Note: "  voir la règle  "})
	if err != nil {
		t.Fatal(err)
	}
	if r.Note != "voir la règle" || r.Weight != 1 || r.ReviewItemID == 0 || r.Outcome != "" {
		t.Errorf("report = %+v", r)
	}
	if _, err := p.ReportPost(ctx, ReportInput{PostID: post.Post.ID, Reason: ReportSpam}); codeOf(err) != forum.ECONFLICT {
		t.Errorf("a second open report: %v, want a conflict", err)
	}

	// The trust-level gate and the daily limit.
	rvSettings(t, p, map[string]any{"report_min_trust_level": 2, "reports_per_day": 2})
	newbie := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustNew)
	if _, err := p.ReportPost(forumtest.As(newbie), ReportInput{PostID: post.Post.ID, Reason: ReportSpam}); codeOf(err) != forum.EFORBIDDEN {
		t.Errorf("a TL0 member reported: %v", err)
	}
	busy := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	for i := range 3 {
		other, _ := rvPost(t, p)
		_, err := p.ReportPost(forumtest.As(busy), ReportInput{PostID: other.Post.ID, Reason: ReportSpam})
		if want := ""; i == 2 {
			want = forum.ERATELIMITED
			if codeOf(err) != want {
				t.Errorf("report %d beyond the daily limit: %v", i+1, err)
			}
		} else if err != nil {
			t.Errorf("report %d: %v", i+1, err)
		}
	}
}

func TestReportWeightFollowsTrustAndAccuracy(t *testing.T) {
	s := forum.DefaultSettings()
	m := &forum.Member{Role: forum.RoleMember, TrustLevel: forum.TrustMember}
	for _, c := range []struct {
		agreed, dismissed int
		want              float64
	}{{0, 0, 1}, {8, 0, 1.8}, {0, 2, 0.5}, {0, 100, 0.25}} {
		if got := ReportWeight(&s, m, c.agreed, c.dismissed); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("agreed %d dismissed %d: weight %v, want %v", c.agreed, c.dismissed, got, c.want)
		}
	}
	if got := ReportWeight(&s, m, 1_000_000, 0); got > 2 || got < 1.99 {
		t.Errorf("a reliable reporter's weight %v, want just under 2", got)
	}
	newbie := &forum.Member{Role: forum.RoleMember, TrustLevel: forum.TrustNew}
	if got := ReportWeight(&s, newbie, 0, 0); got != 0.5 {
		t.Errorf("TL0 weight %v, want 0.5", got)
	}
}

func TestReportsFromEstablishedMembersHideThePost(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	post, author := rvPost(t, p)
	var itemID int64
	for i := range 3 {
		reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
		r, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: post.Post.ID, Reason: ReportInappropriate})
		if err != nil {
			t.Fatal(err)
		}
		if itemID != 0 && r.ReviewItemID != itemID {
			t.Fatalf("report %d opened a second item", i+1)
		}
		itemID = r.ReviewItemID
		var status string
		if err := db.SQL().Get(&status, `SELECT status FROM posts WHERE id = $1`, post.Post.ID); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: "hidden", false: "published"}[i == 2]; status != want {
			t.Errorf("after %d reports the post is %s, want %s", i+1, status, want)
		}
	}
	it, err := p.ReviewItem(adminCtx, itemID)
	if err != nil {
		t.Fatal(err)
	}
	if it.Kind != ReviewReported || it.Score != 3 || len(it.Reports) != 3 || it.ReportCount != 3 || it.Post == nil || it.Post.Author.ID != author.ID {
		t.Errorf("item = %+v", it)
	}
	var notified int
	if err := db.SQL().Get(&notified, `SELECT count(*) FROM notifications WHERE member_id = $1 AND kind = 'moderation' AND data->>'action' = 'hidden'`, author.ID); err != nil {
		t.Fatal(err)
	}
	var logged int
	if err := db.SQL().Get(&logged, `SELECT count(*) FROM mod_log WHERE action = 'post.auto_hide' AND target_id = $1 AND actor_id IS NULL`, post.Post.ID); err != nil {
		t.Fatal(err)
	}
	if notified != 1 || logged != 1 {
		t.Errorf("author notified %d times, log lines %d; want 1 and 1", notified, logged)
	}

	// Dismissing restores the post, and the reporters' next reports weigh less.
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	if _, err := p.Resolve(forumtest.As(mod), Decision{ItemID: itemID, Action: ActDismiss}); err != nil {
		t.Fatal(err)
	}
	var status string
	if err := db.SQL().Get(&status, `SELECT status FROM posts WHERE id = $1`, post.Post.ID); err != nil {
		t.Fatal(err)
	}
	var dismissed int
	if err := db.SQL().Get(&dismissed, `SELECT count(*) FROM reports WHERE review_item_id = $1 AND outcome = 'dismissed'`, itemID); err != nil {
		t.Fatal(err)
	}
	if status != "published" || dismissed != 3 {
		t.Errorf("after dismissal: post %s, %d reports dismissed", status, dismissed)
	}
	// Each reporter learns the outcome.
	var told int
	if err := db.SQL().Get(&told, `SELECT count(*) FROM notifications n JOIN reports r ON r.reporter_id = n.member_id
		WHERE r.review_item_id = $1 AND n.data->>'action' = 'report_dismissed'`, itemID); err != nil {
		t.Fatal(err)
	}
	if told != 3 {
		t.Errorf("%d reporters told of the dismissal, want 3", told)
	}
}

// Many moderators resolve one item at once: exactly one decision happens.
func TestConcurrentResolutionsLetExactlyOneWin(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	post, author := rvPost(t, p)
	reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	r, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: post.Post.ID, Reason: ReportSpam})
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	mods := make([]*forum.Member, n)
	for i := range mods {
		mods[i] = forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			d := Decision{ItemID: r.ReviewItemID, Action: ActHide}
			if i%2 == 1 {
				d = Decision{ItemID: r.ReviewItemID, Action: ActSilence, Duration: "24h", Message: "Spam répété"}
			}
			_, errs[i] = p.Resolve(forumtest.As(mods[i]), d)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch codeOf(err) {
		case "":
			wins++
		case forum.ECONFLICT:
		default:
			t.Errorf("moderator %d: %v", i, err)
		}
	}
	var resolves, hides, silences, notices int
	if err := db.SQL().Get(&resolves, `SELECT count(*) FROM mod_log WHERE action = 'review.resolve' AND target_id = $1`, r.ReviewItemID); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().Get(&hides, `SELECT count(*) FROM mod_log WHERE action = 'post.hide' AND target_id = $1`, post.Post.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().Get(&silences, `SELECT count(*) FROM sanctions WHERE member_id = $1`, author.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().Get(&notices, `SELECT count(*) FROM notifications WHERE member_id = $1 AND kind = 'moderation'`, author.ID); err != nil {
		t.Fatal(err)
	}
	if wins != 1 || resolves != 1 || hides+silences != 1 || notices != 1 {
		t.Errorf("wins %d, resolve lines %d, hides %d, sanctions %d, notices %d; want exactly one decision", wins, resolves, hides, silences, notices)
	}
	for _, err := range errs {
		if fe := forum.AsError(err); err != nil && fe.Key != "review.already_resolved" {
			t.Errorf("loser's message %q, want review.already_resolved", fe.Key)
		}
	}
}

func TestSilenceFromTheQueueThenAppealAndLift(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	post, author := rvPost(t, p)
	reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	r, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: post.Post.ID, Reason: ReportSpam})
	if err != nil {
		t.Fatal(err)
	}
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	modCtx := forumtest.As(mod)

	ic, err := p.OpenItem(modCtx, r.ReviewItemID)
	if err != nil {
		t.Fatal(err)
	}
	if ic.Proposal == nil || ic.Proposal.Action != ActWarn || ic.Proposal.Previous != 0 {
		t.Errorf("proposal for a first offence: %+v", ic.Proposal)
	}
	if _, err := p.Claim(modCtx, r.ReviewItemID); err != nil {
		t.Fatal(err)
	}
	other := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	if _, err := p.Claim(forumtest.As(other), r.ReviewItemID); codeOf(err) != forum.ECONFLICT {
		t.Errorf("claiming a claimed item: %v", err)
	}
	if _, err := p.AddNote(modCtx, r.ReviewItemID, "Déjà vu la semaine dernière"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(modCtx, Decision{ItemID: r.ReviewItemID, Action: ActSilence}); codeOf(err) != forum.EINVALID {
		t.Errorf("silence without a duration: %v", err)
	}
	if _, err := p.Resolve(modCtx, Decision{ItemID: r.ReviewItemID, Action: ActSilence, Duration: "24h"}); codeOf(err) != forum.EINVALID {
		t.Errorf("a sanction without a reason: %v", err)
	}
	it, err := p.Resolve(modCtx, Decision{ItemID: r.ReviewItemID, Action: ActSilence, Duration: "24h", Message: "Publicité répétée"})
	if err != nil {
		t.Fatal(err)
	}
	if it.Status != ReviewResolved || it.Resolution != ActSilence || it.ResolvedAt == nil || it.FirstSeenAt == nil || it.ClaimedAt == nil {
		t.Errorf("resolved item = %+v", it)
	}
	silenced, err := db.MemberByID(adminCtx, author.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !silenced.IsSilenced(time.Now()) || silenced.SilencedUntil.Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("author not silenced for 24 h: %+v", silenced.SilencedUntil)
	}
	if _, err := p.SubmitReply(forumtest.As(silenced), ReplySubmission{ThreadID: post.Thread.ID, Body: "Je reviens"}); codeOf(err) != forum.EFORBIDDEN {
		t.Errorf("a silenced member posted: %v", err)
	}
	var upheld int
	if err := db.SQL().Get(&upheld, `SELECT count(*) FROM notifications WHERE member_id = $1 AND data->>'action' = 'report_upheld'`, reporter.ID); err != nil {
		t.Fatal(err)
	}
	var reason string
	if err := db.SQL().Get(&reason, `SELECT data->>'reason' FROM notifications WHERE member_id = $1 AND data->>'action' = 'silence'`, author.ID); err != nil {
		t.Fatal(err)
	}
	if upheld != 1 || reason != "Publicité répétée" {
		t.Errorf("reporter thanked %d times; author told %q", upheld, reason)
	}

	// The author appeals: an appeal item; lifting it lets them post again.
	sanctions, err := db.MemberSanctions(forumtest.As(silenced), author.ID)
	if err != nil || len(sanctions) != 1 {
		t.Fatalf("sanctions %v %v", sanctions, err)
	}
	if _, err := db.AppealSanction(forumtest.As(silenced), sanctions[0].ID, "Ce n’était pas de la publicité"); err != nil {
		t.Fatal(err)
	}
	items, err := p.Queue(modCtx, QueueFilter{Kind: ReviewAppeal})
	if err != nil {
		t.Fatal(err)
	}
	var appeal *ReviewItem
	for i := range items {
		if items[i].SanctionID != nil && *items[i].SanctionID == sanctions[0].ID {
			appeal = &items[i]
		}
	}
	if appeal == nil {
		t.Fatal("the appeal is not in the queue")
	}
	if _, err := p.Resolve(modCtx, Decision{ItemID: appeal.ID, Action: ActHide}); codeOf(err) != forum.EINVALID {
		t.Errorf("hiding an appeal: %v", err)
	}
	if _, err := p.Resolve(modCtx, Decision{ItemID: appeal.ID, Action: ActLift, Message: "Erreur de notre part"}); err != nil {
		t.Fatal(err)
	}
	lifted, _ := db.MemberByID(adminCtx, author.ID)
	if lifted.IsSilenced(time.Now()) {
		t.Error("the lifted silence still holds")
	}
	page, err := p.ModLog(modCtx, LogFilter{TargetType: "member", TargetID: author.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, l := range page.Lines {
		actions = append(actions, l.Action)
	}
	if got := strings.Join(actions, ","); got != "sanction.lift,member.silence" {
		t.Errorf("log of the member = %s", got)
	}
}

func TestCategoryModeratorsReviewOnlyTheirCategories(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	mine, _ := rvPost(t, p)
	theirs, _ := rvPost(t, p)
	reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	r1, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: mine.Post.ID, Reason: ReportOffTopic})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: theirs.Post.ID, Reason: ReportOffTopic})
	if err != nil {
		t.Fatal(err)
	}
	catMod := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	if err := db.SetCategoryModerator(adminCtx, catMod.ID, mine.Thread.CategoryID, true); err != nil {
		t.Fatal(err)
	}
	ctx := forumtest.As(catMod)
	items, err := p.Queue(ctx, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.CategoryID == nil || *it.CategoryID != mine.Thread.CategoryID {
			t.Errorf("a category moderator sees item %d of another category", it.ID)
		}
	}
	if _, err := p.ReviewItem(ctx, r2.ReviewItemID); codeOf(err) != forum.ENOTFOUND {
		t.Errorf("opening another category's item: %v", err)
	}
	if _, err := p.Resolve(ctx, Decision{ItemID: r1.ReviewItemID, Action: ActBan, Message: "x"}); codeOf(err) != forum.EFORBIDDEN {
		t.Errorf("a category moderator banned: %v", err)
	}
	if _, err := p.Resolve(ctx, Decision{ItemID: r1.ReviewItemID, Action: ActHide}); err != nil {
		t.Errorf("a category moderator hiding a post of their category: %v", err)
	}
	if _, err := p.Queue(forumtest.As(reporter), QueueFilter{}); codeOf(err) != forum.EFORBIDDEN {
		t.Errorf("a member opened the queue: %v", err)
	}
	if _, err := p.Queue(context.Background(), QueueFilter{}); codeOf(err) != forum.EUNAUTHORIZED {
		t.Errorf("a visitor opened the queue: %v", err)
	}
}

func TestModerationLogIsAppendOnlyAndExports(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	post, _ := rvPost(t, p)
	reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	r, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: post.Post.ID, Reason: ReportOther, Note: "=HYPERLINK(\"x\")"})
	if err != nil {
		t.Fatal(err)
	}
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	if _, err := p.Resolve(forumtest.As(mod), Decision{ItemID: r.ReviewItemID, Action: ActDelete, Message: "=cmd|' /C calc'!A0"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE mod_log SET reason = 'x' WHERE target_id = $1`, `DELETE FROM mod_log WHERE target_id = $1`} {
		if _, err := db.SQL().Exec(q, r.ReviewItemID); err == nil {
			t.Errorf("%s succeeded on the append-only log", q)
		}
	}
	page, err := p.ModLog(forumtest.As(mod), LogFilter{Actor: mod.Username, Action: "post."})
	if err != nil || len(page.Lines) != 1 || page.Lines[0].Action != "post.delete" || page.Lines[0].Actor.ID != mod.ID {
		t.Fatalf("filtered log: %+v %v", page, err)
	}
	var buf strings.Builder
	if err := p.ExportModLog(forumtest.As(mod), LogFilter{Actor: mod.Username}, &buf); err != nil {
		t.Fatal(err)
	}
	csv := buf.String()
	if !strings.HasPrefix(csv, "id,at,actor,action") || !strings.Contains(csv, "'=cmd") || strings.Contains(csv, ",=cmd") {
		t.Errorf("CSV export:\n%s", csv)
	}
	if _, err := p.ModLog(forumtest.As(reporter), LogFilter{}); codeOf(err) != forum.EFORBIDDEN {
		t.Errorf("a member read the log: %v", err)
	}
	if _, _, err := p.PublicModLog(context.Background(), 0); codeOf(err) != forum.ENOTFOUND {
		t.Errorf("transparency page while the setting is off: %v", err)
	}
	rvSettings(t, p, map[string]any{"public_mod_log": true})
	lines, _, err := p.PublicModLog(context.Background(), 0)
	if err != nil || len(lines) == 0 {
		t.Fatalf("transparency page: %v", err)
	}
	b, _ := json.Marshal(lines)
	if strings.Contains(string(b), mod.Username) {
		t.Error("the transparency page names a moderator")
	}
}

func TestLiveHearsQueueChanges(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	live := NewLive(log)
	events, stop := live.Subscribe()
	defer stop()
	var inv forum.Invalidations
	live.Register(&inv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.db.Listen(ctx, log, &inv) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// The listener says "look again" once it listens: wait for it, so the
	// report below cannot be missed.
	select {
	case ev := <-events:
		if ev.ID != 0 {
			t.Fatalf("first event %+v, want the resync", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not start")
	}
	post, _ := rvPost(t, p)
	reporter := forumtest.MustMember(t, p.db, forum.RoleMember, forum.TrustMember)
	r, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: post.Post.ID, Reason: ReportSpam})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.ID == r.ReviewItemID && ev.Status == ReviewPending && ev.Kind == ReviewReported {
				return
			}
		case <-deadline:
			t.Fatal("no event for the new item")
		}
	}
}

// The queue is read page after page (keyset on score, age and id): every
// pending item once, in order, however many there are.
func TestQueuePagesSeeEveryItemOnce(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader)
	ctx := forumtest.As(admin)
	for range 7 {
		post, _ := rvPost(t, p)
		reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
		if _, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: post.Post.ID, Reason: ReportSpam}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := p.Queue(ctx, QueueFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var paged []int64
	f := QueueFilter{Limit: 3}
	for range 100 {
		items, err := p.Queue(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			paged = append(paged, it.ID)
		}
		if f.After = QueueNext(f, items); f.After == "" {
			break
		}
	}
	if len(all) < 7 || len(paged) != len(all) {
		t.Fatalf("paged %d items, the queue holds %d", len(paged), len(all))
	}
	for i := range all {
		if paged[i] != all[i].ID {
			t.Fatalf("page order differs at %d: %v vs the whole queue", i, paged)
		}
	}
	if _, err := p.Queue(ctx, QueueFilter{After: "garbage!"}); codeOf(err) != forum.EINVALID {
		t.Errorf("a bad cursor: %v", err)
	}
}
