package forum_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// conversation stores a conversation from author to the recipients with
// its first message.
func conversation(t *testing.T, db *forum.DB, author *forum.Member, to []*forum.Member, title, bodyHTML string) (*forum.Conversation, *forum.Message) {
	t.Helper()
	ctx := forumtest.As(author)
	var ids []int64
	for _, m := range to {
		ids = append(ids, m.ID)
	}
	var c *forum.Conversation
	var m *forum.Message
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		c, m, err = forum.CreateConversationTx(ctx, tx, forum.NewConversation{Title: title, AuthorID: author.ID,
			RecipientIDs: ids, BodyMarkdown: bodyHTML, BodyHTML: bodyHTML, Status: forum.MessagePublished})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, m
}

// message stores a message of author in conversation c with the status.
func message(t *testing.T, db *forum.DB, author *forum.Member, c *forum.Conversation, bodyHTML, status string) *forum.Message {
	t.Helper()
	ctx := forumtest.As(author)
	var m *forum.Message
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		m, err = forum.AddMessageTx(ctx, tx, forum.NewMessage{ConversationID: c.ID, AuthorID: author.ID,
			BodyMarkdown: bodyHTML, BodyHTML: bodyHTML, Status: status})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// messageHits searches as who and returns the ids of the messages found
// (failing on a post).
func messageHits(t *testing.T, db *forum.DB, who *forum.Member, q string) []int64 {
	t.Helper()
	page, err := db.Search(forumtest.As(who), forum.SearchQuery{Text: q})
	if err != nil {
		t.Fatalf("%s searches %q: %v", who.Username, q, err)
	}
	ids := []int64{}
	for _, h := range page.Hits {
		if h.ConversationID == 0 {
			t.Errorf("%s searches %q: a post (%d) among messages", who.Username, q, h.PostID)
		}
		ids = append(ids, h.PostID)
	}
	// What is counted is what is shown (the ranking, not only the reading
	// of the page's messages, leaves out what the reader may not read).
	if page.Total != len(ids) {
		t.Errorf("%s searches %q: %d counted, %d shown", who.Username, q, page.Total, len(ids))
	}
	return ids
}

// in:messages reads the messages of the reader's own conversations, as
// their page shows them: stemmed and accent-folded words, phrases,
// exclusion, @name, in:title, dates; never another's conversation, one the
// reader left, another's held or removed message; public search never
// returns a message.
func TestSearchInMessagesReadsOnlyTheReadersConversations(t *testing.T) {
	db := forumtest.DB(t)
	alice, bob, carol, dave := member(t, db), member(t, db), member(t, db), member(t, db)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	tag := forumtest.Unique("zmsg")

	conv, first := conversation(t, db, alice, []*forum.Member{bob, dave, mod}, "Sortie au musée "+tag,
		"<p>Les élèves arriveront demain, "+tag+".</p>")
	second := message(t, db, bob, conv, "<p>Pensez aux billets du spectacle, "+tag+".</p>", forum.MessagePublished)
	held := message(t, db, bob, conv, "<p>Un mot retenu par la modération, "+tag+".</p>", forum.MessageHeld)
	removed := message(t, db, bob, conv, "<p>Un mot refusé par la modération, "+tag+".</p>", forum.MessageHeld)
	if _, err := db.SQL().Exec(`UPDATE conversation_messages SET status = 'removed' WHERE id = $1`, removed.ID); err != nil {
		t.Fatal(err)
	}
	// A conversation alice is not in, with the same word.
	_, elsewhere := conversation(t, db, carol, []*forum.Member{bob}, "Autre chose", "<p>Des élèves ailleurs, "+tag+".</p>")
	if err := db.LeaveConversation(forumtest.As(dave), conv.ID); err != nil {
		t.Fatal(err)
	}
	// The same word in a public post.
	searchThread(t, db, alice, forumtest.MustCategory(t, db), "Un sujet public", "<p>Les élèves en public, "+tag+".</p>")

	for _, c := range []struct {
		who  *forum.Member
		q    string
		want []int64
	}{
		// Stemmed and accents folded: "eleve" finds "élèves".
		{alice, "eleve " + tag + " in:messages", []int64{first.ID}},
		{bob, "ÉLÈVE " + tag + " in:personal", []int64{elsewhere.ID, first.ID}},
		// A phrase, in its order only.
		{alice, `"billets du spectacle" in:messages`, []int64{second.ID}},
		{alice, `"spectacle billets" ` + tag + ` in:messages`, []int64{}},
		{alice, tag + " -billets in:messages order:latest", []int64{first.ID}},
		// The reader's own held message, as its page shows it; never
		// another's held message, nor a removed one.
		{alice, "retenu " + tag + " in:messages", []int64{}},
		{bob, "retenu " + tag + " in:messages", []int64{held.ID}},
		{bob, "refuse " + tag + " in:messages", []int64{}},
		{alice, tag + " in:messages order:latest", []int64{second.ID, first.ID}},
		{alice, "@" + bob.Username + " " + tag + " in:messages", []int64{second.ID}},
		{alice, "musee in:title " + tag + " in:messages", []int64{first.ID}},
		{alice, "billets in:title " + tag + " in:messages", []int64{}},
		{alice, "after:2999-01-01 " + tag + " in:messages", []int64{}},
		// Not a participant, or left: nothing; staff read only their own.
		{carol, "eleve " + tag + " in:messages", []int64{elsewhere.ID}},
		{dave, "eleve " + tag + " in:messages", []int64{}},
		{mod, tag + " -musee in:messages", []int64{second.ID}},
	} {
		got := messageHits(t, db, c.who, c.q)
		if c.q == "ÉLÈVE "+tag+" in:personal" {
			slices.Sort(got)
			slices.Sort(c.want)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s searches %q: %v, want %v", c.who.Username, c.q, got, c.want)
		}
	}

	// What a result shows: the conversation, the message's number, the
	// matched words marked.
	page, err := db.Search(forumtest.As(alice), forum.SearchQuery{Text: "eleve " + tag + " in:messages"})
	if err != nil || len(page.Hits) != 1 {
		t.Fatalf("%v %v", page, err)
	}
	h := page.Hits[0]
	if h.ConversationID != conv.ID || h.PostNumber != 1 || h.ThreadTitle != "Sortie au musée "+tag ||
		h.AuthorName == nil || *h.AuthorName != alice.Username || !page.InMessages ||
		!strings.Contains(h.SnippetHTML, "<mark>élèves</mark>") || h.CategorySlug != "" {
		t.Errorf("the hit: %+v", h)
	}

	// An edited message is found by its new words only (the trigger).
	if err := db.InTx(forumtest.As(bob), func(tx *sqlx.Tx) error {
		_, err := forum.EditMessageTx(forumtest.As(bob), tx, second.ID, "x", "<p>Pensez aux parapluies, "+tag+".</p>", forum.MessagePublished)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := messageHits(t, db, alice, "parapluie "+tag+" in:messages"); !slices.Equal(got, []int64{second.ID}) {
		t.Errorf("the edited message by its new words: %v", got)
	}
	if got := messageHits(t, db, alice, "spectacle "+tag+" in:messages"); len(got) != 0 {
		t.Errorf("the edited message by its old words: %v", got)
	}

	// The public search never returns a message, whoever searches.
	for _, who := range []context.Context{context.Background(), forumtest.As(alice), forumtest.As(mod)} {
		page, err := db.Search(who, forum.SearchQuery{Text: "eleve " + tag})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Hits) != 1 || page.Hits[0].ConversationID != 0 || page.InMessages {
			t.Errorf("the public search: %+v", page.Hits)
		}
	}
}

func TestSearchInMessagesRefusals(t *testing.T) {
	db := forumtest.DB(t)
	alice := member(t, db)
	cat := forumtest.MustCategory(t, db)
	for _, c := range []struct {
		ctx         context.Context
		q           forum.SearchQuery
		code, field string
	}{
		{context.Background(), forum.SearchQuery{Text: "chevaux in:messages"}, forum.EUNAUTHORIZED, ""},
		{forumtest.As(alice), forum.SearchQuery{Text: "chevaux #" + cat.Slug + " in:messages"}, forum.EINVALID, "q"},
		{forumtest.As(alice), forum.SearchQuery{Text: "chevaux in:messages", Category: cat.Slug}, forum.EINVALID, "category"},
	} {
		_, err := db.Search(c.ctx, c.q)
		e := forum.AsError(err)
		if err == nil || e.Code != c.code || e.Field != c.field ||
			(c.code == forum.EINVALID && e.Key != "search.messages_category") {
			t.Errorf("%+v: %v, want %s on %q", c.q, err, c.code, c.field)
		}
	}
	// in:messages alone lists the reader's messages, newest first.
	bob := member(t, db)
	_, m1 := conversation(t, db, alice, []*forum.Member{bob}, "Un titre", "<p>Bonjour.</p>")
	if got := messageHits(t, db, bob, "in:messages"); !slices.Equal(got, []int64{m1.ID}) {
		t.Errorf("in:messages alone: %v", got)
	}
}

// The conversation list's search box matches as in:messages does: the
// conversation whose readable messages hold the words, stemmed and
// accents folded; not one where only another's held message does.
func TestConversationListSearchIsFullText(t *testing.T) {
	db := forumtest.DB(t)
	alice, bob := member(t, db), member(t, db)
	tag := forumtest.Unique("zliste")
	c1, _ := conversation(t, db, alice, []*forum.Member{bob}, "Les chevaux "+tag, "<p>Bonjour.</p>")
	c2, _ := conversation(t, db, alice, []*forum.Member{bob}, "Autre "+tag, "<p>Rien.</p>")
	message(t, db, bob, c2, "<p>Mes élèves "+tag+".</p>", forum.MessageHeld)
	list := func(who *forum.Member, q string) []int64 {
		t.Helper()
		got, err := db.Conversations(forumtest.As(who), q)
		if err != nil {
			t.Fatal(err)
		}
		ids := []int64{}
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		return ids
	}
	for _, c := range []struct {
		who  *forum.Member
		q    string
		want []int64
	}{
		{alice, "cheval " + tag, []int64{c1.ID}},
		{alice, "eleve " + tag, []int64{}},
		{bob, "eleve " + tag, []int64{c2.ID}},
		{bob, tag + " -cheval", []int64{c2.ID}},
		// Typed into as a filter: words are matched by their beginning,
		// stemmed in each message's language as whole words are ("cheva"
		// finds chevaux, stemmed cheval; "chevau" would not).
		{alice, "cheva " + tag, []int64{c1.ID}},
		{alice, "Chev " + tag[:len(tag)-2], []int64{c1.ID}},
		{alice, "l'élè " + tag, []int64{}},
		{bob, "l'élè " + tag, []int64{c2.ID}},
		// Not with the search's syntax: a phrase, an exclusion.
		{alice, `"cheva" ` + tag, []int64{}},
		{alice, "cheva -autre " + tag, []int64{}},
		// Nor from another's conversations.
		{member(t, db), "cheva " + tag, []int64{}},
	} {
		if got := list(c.who, c.q); !slices.Equal(got, c.want) {
			t.Errorf("%s lists %q: %v, want %v", c.who.Username, c.q, got, c.want)
		}
	}
	// As long a text as a search reads, no longer.
	if _, err := db.Conversations(forumtest.As(alice), strings.Repeat("é", forum.SearchMaxRunes)); err != nil {
		t.Errorf("a text of %d letters: %v", forum.SearchMaxRunes, err)
	}
	_, err := db.Conversations(forumtest.As(alice), strings.Repeat("é", forum.SearchMaxRunes+1))
	if e := forum.AsError(err); err == nil || e.Code != forum.EINVALID || e.Field != "q" || e.Key != "search.query_too_long" {
		t.Errorf("a text of %d letters: %v", forum.SearchMaxRunes+1, err)
	}
}

// The list shows every participant a conversation's title, even while its
// first message waits for a moderator: the box finds it by its title's
// words, never by the held message's.
func TestConversationListSearchFindsTheTitleOfAHeldFirstMessage(t *testing.T) {
	db := forumtest.DB(t)
	alice, bob := member(t, db), member(t, db)
	tag, secret := forumtest.Unique("ztitre"), forumtest.Unique("zsecret")
	ctx := forumtest.As(alice)
	var c *forum.Conversation
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		c, _, err = forum.CreateConversationTx(ctx, tx, forum.NewConversation{Title: "Les citrouilles " + tag, AuthorID: alice.ID,
			RecipientIDs: []int64{bob.ID}, BodyMarkdown: "Mot " + secret, BodyHTML: "<p>Mot " + secret + "</p>", Status: forum.MessageHeld})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		q    string
		want bool
	}{
		{"citrouille " + tag, true},
		{"citrou " + tag, true},
		{secret, false},
		{tag + " " + secret, false},
	} {
		got, err := db.Conversations(forumtest.As(bob), x.q)
		if err != nil {
			t.Fatal(err)
		}
		if found := len(got) == 1 && got[0].ID == c.ID; found != x.want || len(got) > 1 {
			t.Errorf("bob lists %q: %d conversations, want the held one: %v", x.q, len(got), x.want)
		}
	}
}
