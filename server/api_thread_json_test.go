package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// The thread JSON (threadJSON) answers what the API always answered,
// gin.H{"thread", "posts", "next"} of apiPost, byte for byte: the same keys
// in the same order, next null on the last page, for posts with and without
// author, reply, edit, redaction, bodies that need every kind of escape.
func TestThreadJSONKeepsItsShape(t *testing.T) {
	name, odd, ascii := "alice", "Zoé \"la\" \\ <b>\u2028", `o"k`
	replyTo := 3
	edited := time.Date(2026, 11, 27, 20, 5, 1, 123456789, time.FixedZone("", 3600))
	authorID := int64(12)
	bodies := []string{
		"<p>Bonjour à tous &amp; « merci » !</p>",
		"<p>ligne\nsuivante\ttab \"guillemets\" \\ </p>\u2028\u2029 \x01 \x7f",
		"invalide \xff\xfe fin",
		"",
	}
	var posts []forum.Post
	for i, body := range bodies {
		p := forum.Post{ID: int64(100 + i), ThreadID: 7, Number: i + 1, BodyHTML: body, Status: forum.StatusPublished,
			CreatedAt: time.Date(2026, 11, 27, 19, 0, i, 0, time.UTC), LikeCount: i, Liked: i%2 == 1}
		switch i {
		case 0:
			p.AuthorID, p.AuthorName = &authorID, &name
			p.AuthorDisplayName, p.AuthorAvatar = "Alice A.", "48:"+strings.Repeat("a", 64)+".png 96:"+strings.Repeat("b", 64)+".png"
		case 1:
			p.AuthorID, p.AuthorName, p.ReplyTo, p.EditedAt, p.EditCount = &authorID, &odd, &replyTo, &edited, 2
		case 2:
			p.AuthorID, p.AuthorName = &authorID, &ascii
		case 3:
			p.AuthorID = &authorID // a name that was not read
			p.Status, p.Redacted = forum.StatusHidden, true
		}
		posts = append(posts, p)
	}
	last := "bob"
	thread := &forum.Thread{ID: 7, CategorySlug: "vie", CategoryName: "Vie <du> quartier", Title: "Réunion « x » & y",
		Slug: "reunion", Status: forum.StatusPublished, PostCount: 4, AuthorName: &name, LastPosterName: &last,
		LastPostAt: edited, CreatedAt: edited}
	for _, next := range []int{0, 20} {
		api := make([]apiPost, len(posts))
		for i := range posts {
			api[i] = toAPIPost(&posts[i])
		}
		var nextValue any
		if next > 0 {
			nextValue = next
		}
		encode := func(v any) string {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
		out := threadJSON{Posts: api, Thread: thread}
		if next > 0 {
			out.Next = &next
		}
		if g, w := encode(out), encode(gin.H{"thread": thread, "posts": api, "next": nextValue}); g != w {
			t.Errorf("next %d:\nthreadJSON: %s\ngin.H:      %s", next, g, w)
		}
	}
}
