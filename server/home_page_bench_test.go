package server

import (
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// BenchmarkHomePage serves the home page (the latest threads and the
// categories) through the whole engine without the anonymous page cache:
// what a signed-in member costs, and a visitor when the cache misses. It
// measures what the latest-threads snapshot (forum/latest_page.go) saves.
func BenchmarkHomePage(b *testing.B) {
	s := newTestServer(b)
	db := forumtest.DB(b)
	cat := forumtest.MustCategory(b, db)
	author := bearer(b, db, forumtest.MustMember(b, db, forum.RoleMember, 2))
	for range 30 {
		startThread(b, s, author, cat, forumtest.Unique("Réunion de quartier "))
	}
	member := bearer(b, db, forumtest.MustMember(b, db, forum.RoleMember, 2))
	for _, who := range []struct {
		name   string
		header map[string]string
	}{{"visitor", nil}, {"member", member}} {
		b.Run(who.name, func(b *testing.B) {
			r := request{path: "/", header: who.header}
			if w := s.do(b, r); w.Code != 200 {
				b.Fatalf("/: %d", w.Code)
			}
			b.ReportAllocs()
			for b.Loop() {
				if w := s.do(b, r); w.Code != 200 {
					b.Fatalf("/: %d", w.Code)
				}
			}
		})
	}
}
