package forum_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// Registering checks the address (loopback and private addresses refused
// unless allowed), the events and the secret, each on its field.
func TestWebhookRegistrationChecks(t *testing.T) {
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 4)
	ctx := forumtest.As(admin)
	events := &[]string{forum.EventPostPublished}
	for _, c := range []struct {
		name, field string
		in          forum.WebhookInput
	}{
		{"no address", "url", forum.WebhookInput{Events: events}},
		{"ftp", "url", forum.WebhookInput{URL: ptr("ftp://example.org/hook"), Events: events}},
		{"credentials in the address", "url", forum.WebhookInput{URL: ptr("https://user:pw@example.org/hook"), Events: events}},
		{"loopback", "url", forum.WebhookInput{URL: ptr("http://127.0.0.1:9/hook"), Events: events}},
		{"private", "url", forum.WebhookInput{URL: ptr("http://10.1.2.3/hook"), Events: events}},
		{"link-local (cloud metadata)", "url", forum.WebhookInput{URL: ptr("http://169.254.169.254/latest"), Events: events}},
		{"IPv6 loopback", "url", forum.WebhookInput{URL: ptr("http://[::1]/hook"), Events: events}},
		{"a name for loopback", "url", forum.WebhookInput{URL: ptr("http://localhost/hook"), Events: events}},
		{"no events", "events", forum.WebhookInput{URL: ptr("https://93.184.215.14/hook"), Events: &[]string{}}},
		{"unknown event", "events", forum.WebhookInput{URL: ptr("https://93.184.215.14/hook"), Events: &[]string{"post.liked"}}},
		{"short secret", "secret", forum.WebhookInput{URL: ptr("https://93.184.215.14/hook"), Events: events, Secret: ptr("court")}},
	} {
		_, err := db.CreateWebhook(ctx, c.in, false)
		if fe := forum.AsError(err); err == nil || fe.Field != c.field {
			t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
		}
	}
	if _, err := db.CreateWebhook(forumtest.As(mod), forum.WebhookInput{URL: ptr("https://93.184.215.14/hook"), Events: events}, false); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a moderator registers a webhook: %v", err)
	}
	// A public address passes; a loopback one when allowed; the secret is
	// generated when not given, and shown once.
	w, err := db.CreateWebhook(ctx, forum.WebhookInput{URL: ptr("https://93.184.215.14/hook"), Events: &[]string{forum.EventReportFiled, forum.EventPostPublished, forum.EventReportFiled}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Secret) < 16 || strings.Join(w.Events, ",") != "post.published,report.filed" {
		t.Errorf("registered: secret %q, events %v", w.Secret, w.Events)
	}
	if _, err := db.CreateWebhook(ctx, forum.WebhookInput{URL: ptr("http://127.0.0.1:9/hook"), Events: events}, true); err != nil {
		t.Errorf("a loopback address when allowed: %v", err)
	}
	list, err := db.Webhooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if l.Secret != "" {
			t.Errorf("the list shows a secret: %+v", l)
		}
		if err := db.DeleteWebhook(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// Each event writes one delivery per webhook that listens to it, with its
// job, in the transaction that caused it; none when nobody listens.
func TestWebhookEventsAreRecorded(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	reporter := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ctx := forumtest.As(admin)
	count := func() int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM webhook_deliveries`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	startThread(t, db, cat, author, forum.StatusPublished)
	if n := count(); n != before {
		t.Fatalf("%d deliveries recorded with no webhook", n-before)
	}
	all, err := db.CreateWebhook(ctx, forum.WebhookInput{URL: ptr("http://127.0.0.1:9/all"), Events: &forum.WebhookEvents}, true)
	if err != nil {
		t.Fatal(err)
	}
	posts, err := db.CreateWebhook(ctx, forum.WebhookInput{URL: ptr("http://127.0.0.1:9/posts"), Events: &[]string{forum.EventPostPublished}}, true)
	if err != nil {
		t.Fatal(err)
	}
	off, err := db.CreateWebhook(ctx, forum.WebhookInput{URL: ptr("http://127.0.0.1:9/off"), Events: &forum.WebhookEvents, Active: ptr(false)}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, w := range []int64{all.ID, posts.ID, off.ID} {
			_ = db.DeleteWebhook(ctx, w)
		}
	})

	th := startThread(t, db, cat, author, forum.StatusPublished)
	replyTo(t, db, author, th.ID, forum.StatusHeld)
	p := moderation.NewPipeline(db)
	var first int64
	if err := db.SQL().Get(&first, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, th.ID); err != nil {
		t.Fatal(err)
	}
	report, err := p.ReportPost(forumtest.As(reporter), moderation.ReportInput{PostID: first, Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(ctx, moderation.Decision{ItemID: report.ReviewItemID, Action: moderation.ActDismiss}); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(24 * time.Hour)
	if _, err := db.Sanction(ctx, forum.SanctionOrder{MemberID: author.ID, Kind: forum.SanctionSilence, Reason: "Calmez-vous", Until: &until}); err != nil {
		t.Fatal(err)
	}
	newcomer := forumtest.MustMember(t, db, forum.RoleMember, 0)

	type delivery struct {
		Webhook int64           `db:"webhook_id"`
		Event   string          `db:"event"`
		Payload json.RawMessage `db:"payload"`
	}
	var got []delivery
	if err := db.SQL().Select(&got, `SELECT webhook_id, event, payload FROM webhook_deliveries WHERE webhook_id = ANY($1) ORDER BY id`,
		[]int64{all.ID, posts.ID, off.ID}); err != nil {
		t.Fatal(err)
	}
	var seq []string
	byEvent := map[string]map[string]any{}
	for _, d := range got {
		who := map[int64]string{all.ID: "all", posts.ID: "posts", off.ID: "off"}[d.Webhook]
		seq = append(seq, who+":"+d.Event)
		var payload map[string]any
		if err := json.Unmarshal(d.Payload, &payload); err != nil {
			t.Fatal(err)
		}
		byEvent[d.Event] = payload
	}
	want := "all:post.published,posts:post.published,all:post.held,all:report.filed,all:review.resolved,all:member.sanctioned,all:member.signed_up"
	if strings.Join(seq, ",") != want {
		t.Errorf("deliveries:\n %s\nwant\n %s", strings.Join(seq, ","), want)
	}
	var jobs int
	if err := db.SQL().Get(&jobs, `SELECT count(*) FROM jobs WHERE kind = $1 AND (payload->>'delivery_id')::bigint IN
		(SELECT id FROM webhook_deliveries WHERE webhook_id = ANY($2))`, forum.JobWebhookDelivery, []int64{all.ID, posts.ID}); err != nil || jobs != len(got) {
		t.Errorf("%d delivery jobs for %d deliveries (%v)", jobs, len(got), err)
	}
	field := func(event, path string) any {
		v := any(byEvent[event])
		for _, k := range strings.Split(path, ".") {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	for _, c := range []struct {
		event, path string
		want        any
	}{
		{"post.published", "thread.title", th.Title},
		{"post.published", "post.author", author.Username},
		{"post.published", "post.number", 1.0},
		{"post.held", "post.number", 2.0},
		{"post.held", "post.status", "held"},
		{"report.filed", "report.reason", "spam"},
		{"report.filed", "report.reporter", reporter.Username},
		{"review.resolved", "review_item.resolution", moderation.ActDismiss},
		{"review.resolved", "review_item.resolved_by", admin.Username},
		{"member.sanctioned", "sanction.kind", "silence"},
		{"member.sanctioned", "sanction.member", author.Username},
		{"member.signed_up", "member.username", newcomer.Username},
		{"member.signed_up", "member.email", nil},
	} {
		if got := field(c.event, c.path); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.event, c.path, got, c.want)
		}
	}

}
