package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// replyCase is one reply and what it meets: the thread's state, the post
// it answers, its author's sanctions and history, the guidelines.
type replyCase struct {
	name   string
	author int64
	header map[string]string
	thread int64
	body   string
	// replyTo is the number of the post answered, 0 for none.
	replyTo int
}

// replyCases builds a fresh set of cases: new members, so that each way
// of posting meets the same histories, and new threads.
// silencedUntil is the same for every set (its message shows it).
func replyCases(t *testing.T, s *Server, silencedUntil time.Time) []replyCase {
	t.Helper()
	db := forumtest.DB(t)
	ctx := context.Background()
	cat := forumtest.MustCategory(t, db)
	member := func() *forum.Member { return forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember) }
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustMember)
	thread := func(author *forum.Member) int64 {
		out, err := s.pipeline.SubmitThread(forumtest.As(author), moderation.ThreadSubmission{
			CategoryID: cat.ID, Title: forumtest.Unique("Un sujet "), Body: forumtest.Unique("Le premier message "),
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Thread.ID
	}
	// Each by its own author: the rate limit counts threads too.
	open, locked, held := thread(member()), thread(member()), thread(member())
	heldByAuthor := member()
	ownHeld := thread(heldByAuthor)
	db.SQL().MustExec(`UPDATE threads SET locked = true WHERE id = $1`, locked)
	db.SQL().MustExec(`UPDATE threads SET status = 'held' WHERE id IN ($1, $2)`, held, ownHeld)
	db.SQL().MustExec(`UPDATE posts SET status = 'held' WHERE thread_id IN ($1, $2)`, held, ownHeld)

	silenced := member()
	if _, err := db.Silence(forum.WithSystem(ctx), silenced.ID, "Messages publicitaires", silencedUntil); err != nil {
		t.Fatal(err)
	}
	// Members who posted twice in the last minute (the limit), and members
	// who posted the text they will post again.
	hurried := func() *forum.Member {
		m := member()
		for i := range 2 {
			if _, err := s.pipeline.SubmitReply(forumtest.As(m), moderation.ReplySubmission{ThreadID: open, Body: fmt.Sprintf("Message pressé %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	again := forumtest.Unique("Le même message, encore ")
	repeater := func() *forum.Member {
		m := member()
		if _, err := s.pipeline.SubmitReply(forumtest.As(m), moderation.ReplySubmission{ThreadID: open, Body: again}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// A mention or a post replied to took the transaction before the one
	// path; a plain reply the statement of its own.
	mentioned := member()
	mention := func() string { return forumtest.Unique("Une réponse pour @" + mentioned.Username + " ") }
	rc := func(name string, m *forum.Member, thread int64, body string, replyTo int) replyCase {
		return replyCase{name: name, author: m.ID, header: bearer(t, db, m), thread: thread, body: body, replyTo: replyTo}
	}
	plain := func() string { return forumtest.Unique("Une réponse toute simple ") }
	return []replyCase{
		rc("plain reply", member(), open, plain(), 0),
		rc("reply to a post", member(), open, plain(), 1),
		rc("reply to a missing post", member(), open, plain(), 99),
		rc("locked thread", member(), locked, plain(), 0),
		rc("moderator, locked thread", mod, locked, plain(), 0),
		rc("someone else's held thread", member(), held, plain(), 0),
		rc("own held thread", heldByAuthor, ownHeld, plain(), 0),
		rc("moderator, held thread", mod, held, plain(), 0),
		rc("missing thread", member(), 1<<40, plain(), 0),
		rc("silenced member", silenced, open, plain(), 0),
		rc("rate limit", hurried(), open, plain(), 0),
		rc("duplicate", repeater(), open, again, 0),
		rc("mention", member(), open, mention(), 0),
		rc("mention, locked thread", member(), locked, mention(), 0),
		rc("reply to a post, locked thread", member(), locked, plain(), 1),
		rc("mention, someone else's held thread", member(), held, mention(), 0),
		rc("reply to a post, own held thread", heldByAuthor, ownHeld, plain(), 1),
		rc("mention, silenced member", silenced, open, mention(), 0),
		rc("mention, rate limit", hurried(), open, mention(), 0),
		rc("reply to a post, duplicate", repeater(), open, again, 1),
		rc("held by a watched word", member(), open, "Une réponse avec zorglub dedans "+forumtest.Unique(""), 0),
		rc("refused by a watched word", member(), open, "Une réponse avec bzzlorg dedans "+forumtest.Unique(""), 0),
	}
}

// replyOutcome is what a way of posting answered: the status of the post
// stored, or the HTTP status and the message of a refusal.
type replyOutcome struct {
	status  string // published, held, or refused
	code    int
	message string
	stored  int // posts the author has in the thread afterwards
}

func (o replyOutcome) String() string {
	return fmt.Sprintf("%s %d %q (%d stored)", o.status, o.code, o.message, o.stored)
}

// storedBy is how many replies c's author has in c's thread, and the
// status of the last.
func storedBy(t *testing.T, c replyCase) (count int, last string) {
	t.Helper()
	var rows []string
	if err := forumtest.DB(t).SQL().Select(&rows, `SELECT status FROM posts WHERE thread_id = $1 AND author_id = $2 AND number > 1 ORDER BY number`,
		c.thread, c.author); err != nil {
		t.Fatal(err)
	}
	if len(rows) > 0 {
		last = rows[len(rows)-1]
	}
	return len(rows), last
}

// viaAPI posts c through the JSON API.
func viaAPI(t *testing.T, s *Server, c replyCase) replyOutcome {
	req := map[string]any{"body": c.body}
	if c.replyTo != 0 {
		req["reply_to"] = c.replyTo
	}
	body, _ := json.Marshal(req)
	w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", c.thread), header: c.header, body: string(body)})
	var o replyOutcome
	o.code = w.Code
	switch w.Code {
	case 201, 202:
		var answer struct {
			Post struct {
				Status string `json:"status"`
			} `json:"post"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%s: %s", c.name, w.Body)
		}
		o.status = answer.Post.Status
	default:
		o.status, o.message = "refused", decodeError(t, w).Message
	}
	o.stored, _ = storedBy(t, c)
	return o
}

// viaForm posts c through the thread page's form; a refusal is compared
// with the API's answer (apiMessage): the page shows the same message.
func viaForm(t *testing.T, s *Server, c replyCase, apiMessage string) replyOutcome {
	form := url.Values{"body": {c.body}}
	if c.replyTo != 0 {
		form.Set("reply_to", fmt.Sprint(c.replyTo))
	}
	w := s.do(t, formRequest(fmt.Sprintf("/t/%d/reply", c.thread), c.header, form))
	var o replyOutcome
	o.stored, o.status = storedBy(t, c)
	if w.Code == 303 {
		o.code = map[string]int{forum.StatusPublished: 201, forum.StatusHeld: 202}[o.status]
		return o
	}
	o.status, o.code = "refused", w.Code
	if apiMessage != "" && strings.Contains(w.Body.String(), html.EscapeString(apiMessage)) {
		o.message = apiMessage
	} else {
		o.message = "(the page does not show the API's message)"
	}
	return o
}

// Every way of posting a reply meets the same rules and gets the same
// answer: the JSON API one at a time, the thread page's form, and the API
// with every case sent at once, as the replies of concurrent requests are
// stored together. A rule kept by one way only would fail here.
func TestEveryWayOfReplyingMeetsTheSameRules(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	for _, in := range []moderation.RuleInput{
		{Kind: moderation.KindRate, Action: moderation.ActionBlock},
		{Kind: moderation.KindDuplicates, Action: moderation.ActionBlock},
		{Kind: moderation.KindWords, Action: moderation.ActionHold, Patterns: []string{"zorglub"}},
		{Kind: moderation.KindWords, Action: moderation.ActionBlock, Patterns: []string{"bzzlorg"}},
	} {
		in.Name = forumtest.Unique("Règle ")
		r, err := s.pipeline.CreateRule(admin, in)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.pipeline.DeleteRule(admin, r.ID); err != nil {
				t.Error(err)
			}
		})
	}
	settings, err := db.Settings(admin)
	if err != nil {
		t.Fatal(err)
	}
	restore, _ := json.Marshal(settings.PostsPerMinute)
	if _, err := db.UpdateSettings(admin, map[string]json.RawMessage{"posts_per_minute": json.RawMessage(`[2, 2, 2, 2, 2]`)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.UpdateSettings(admin, map[string]json.RawMessage{"posts_per_minute": restore}); err != nil {
			t.Error(err)
		}
	})

	until := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	apiCases := replyCases(t, s, until)
	want := make([]replyOutcome, len(apiCases))
	for i, c := range apiCases {
		want[i] = viaAPI(t, s, c)
	}
	// What the rules decide, as the API answered one reply at a time.
	expect := map[string]string{
		"plain reply": "published 201", "reply to a post": "published 201", "reply to a missing post": "refused 400",
		"locked thread": "refused 403", "moderator, locked thread": "published 201",
		"someone else's held thread": "refused 404", "own held thread": "refused 403", "moderator, held thread": "published 201",
		"missing thread": "refused 404", "silenced member": "refused 403", "rate limit": "refused 429",
		"duplicate": "refused 422", "held by a watched word": "held 202", "refused by a watched word": "refused 422",
		"mention": "published 201", "mention, locked thread": "refused 403", "reply to a post, locked thread": "refused 403",
		"mention, someone else's held thread": "refused 404", "reply to a post, own held thread": "refused 403",
		"mention, silenced member": "refused 403", "mention, rate limit": "refused 429", "reply to a post, duplicate": "refused 422",
	}
	for i, c := range apiCases {
		if got := fmt.Sprint(want[i].status, " ", want[i].code); got != expect[c.name] {
			t.Errorf("API, %s: %s, want %s", c.name, want[i], expect[c.name])
		}
	}

	formCases := replyCases(t, s, until)
	for i, c := range formCases {
		if got := viaForm(t, s, c, want[i].message); got != want[i] {
			t.Errorf("form, %s: %s, the API answered %s", c.name, got, want[i])
		}
	}

	together := replyCases(t, s, until)
	got := make([]replyOutcome, len(together))
	var wg sync.WaitGroup
	for i, c := range together {
		wg.Go(func() { got[i] = viaAPI(t, s, c) })
	}
	wg.Wait()
	for i, c := range together {
		if got[i] != want[i] {
			t.Errorf("sent at once, %s: %s, alone %s", c.name, got[i], want[i])
		}
	}
}
