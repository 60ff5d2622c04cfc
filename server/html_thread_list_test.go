package server

import (
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
)

// The thread lists are written in Go: every text from a member is escaped,
// and each state of a thread shows as the templates showed it.
func TestThreadListsEscapeAndShowEachState(t *testing.T) {
	catalog := loadTestCatalog(t)
	name, poster := `<img src=x onerror=alert(1)>`, "zoé"
	read, unread := 3, 4
	threads := []forum.Thread{
		{ID: 1, Slug: "un-sujet", Title: `Les <script>alert("x")</script> & co`, CategorySlug: "cat", CategoryName: `Cat "A" & <b>`,
			AuthorName: &name, Pinned: true, Locked: true, Status: forum.StatusHeld, PostCount: 8, LastPostAt: time.Now().Add(-time.Hour),
			LastPosterName: &poster, LastRead: &read, Unread: &unread},
		{ID: 2, Slug: "jamais-ouvert", Title: "Jamais ouvert", CategorySlug: "cat", CategoryName: "Cat", PostCount: 1, LastPostAt: time.Now()},
	}
	member := &View{Lang: catalog.Lang("fr"), Now: time.Now(), Member: &forum.Member{ID: 9, Username: "lecteur"}}
	visitor := &View{Lang: catalog.Lang("fr"), Now: time.Now()}

	got := string(threadListHTML(member, threads, true, "vide"))
	for _, bad := range []string{"<script>", "<img", "<b>", `"A"`} {
		if strings.Contains(got, bad) {
			t.Errorf("unescaped %q in %s", bad, got)
		}
	}
	for _, want := range []string{
		`href="/t/1/un-sujet"`, `&lt;script&gt;`, `class="thread-item pinned"`, `class="tag">Cat &#34;A&#34; &amp; &lt;b&gt;</a>`,
		`<span class="badge held">`, "7 réponses", "zoé", `class="unread" href="/t/1/un-sujet?after=3#p4">4 non lus</a>`,
		`<span class="new">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %s", want, got)
		}
	}
	if strings.Count(got, `<span class="badge">`) != 2 {
		t.Errorf("want the pinned and locked badges: %s", got)
	}
	if v := string(threadListHTML(visitor, threads, false, "vide")); strings.Contains(v, `class="unread"`) || strings.Contains(v, `class="new"`) || strings.Contains(v, `class="tag"`) {
		t.Errorf("a visitor's list, without categories, shows reading states or tags: %s", v)
	}
	if v := string(threadListHTML(visitor, nil, false, "Rien <ici>")); v != `<p class="empty">Rien &lt;ici&gt;</p>` {
		t.Errorf("empty list: %s", v)
	}
	if v := string(latestHTML(visitor, threads, "vide")); !strings.Contains(v, `&lt;script&gt;`) || strings.Contains(v, "<script>") || !strings.Contains(v, "7 réponses") {
		t.Errorf("home list: %s", v)
	}
}
