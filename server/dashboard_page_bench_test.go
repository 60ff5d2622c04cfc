package server

import (
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// BenchmarkDashboardPage serves the community-health dashboard of a year
// (eight charts of 365 bars, each with its table) through the whole
// engine: what the page costs outside the database, whose rollups are
// nearly empty here.
func BenchmarkDashboardPage(b *testing.B) {
	s := newTestServer(b)
	db := forumtest.DB(b)
	admin := bearer(b, db, forumtest.MustMember(b, db, forum.RoleAdmin, 4))
	r := request{path: "/admin/dashboard?period=365", header: admin}
	if w := s.do(b, r); w.Code != 200 {
		b.Fatalf("%s: %d", r.path, w.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		if w := s.do(b, r); w.Code != 200 {
			b.Fatalf("%s: %d", r.path, w.Code)
		}
	}
}
