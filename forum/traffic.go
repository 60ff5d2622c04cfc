package forum

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Kinds of page views.
const (
	ViewMember    = "member"
	ViewAnonymous = "anonymous"
	ViewCrawler   = "crawler"
)

// ViewKinds are the kinds of page views, in the dashboard's order.
var ViewKinds = []string{ViewMember, ViewAnonymous, ViewCrawler}

// TrafficBatch is what an instance counted in memory for one local day,
// added to the rollups by FlushTraffic. Readers holds digests of who read
// (sha256 of a member's id, or of an address and a user agent): they are
// salted with the day's salt before they reach the database, and never
// stored as they are.
type TrafficBatch struct {
	Day         time.Time // the local date (UTC midnight)
	Views       map[string]int64
	SearchViews map[string]int64
	Threads     map[int64]int64
	Categories  map[string]int64 // by slug
	Referrers   map[string]int64 // by domain
	Readers     map[[32]byte]struct{}
}

// NewTrafficBatch is an empty batch for day.
func NewTrafficBatch(day time.Time) *TrafficBatch {
	return &TrafficBatch{Day: day, Views: map[string]int64{}, SearchViews: map[string]int64{}, Threads: map[int64]int64{},
		Categories: map[string]int64{}, Referrers: map[string]int64{}, Readers: map[[32]byte]struct{}{}}
}

// Empty reports whether the batch counted nothing.
func (b *TrafficBatch) Empty() bool {
	return len(b.Views) == 0 && len(b.Readers) == 0
}

const (
	addTrafficViews = `
INSERT INTO traffic_days (day, kind, views, search_views)
SELECT $1::date, k, v, s FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS x(k, v, s)
ON CONFLICT (day, kind) DO UPDATE SET views = traffic_days.views + EXCLUDED.views,
	search_views = traffic_days.search_views + EXCLUDED.search_views`

	addTrafficThreads = `
INSERT INTO traffic_threads (day, thread_id, views)
SELECT $1::date, t.id, x.v FROM unnest($2::bigint[], $3::bigint[]) AS x(id, v) JOIN threads t ON t.id = x.id
ORDER BY t.id
ON CONFLICT (day, thread_id) DO UPDATE SET views = traffic_threads.views + EXCLUDED.views`

	// A category's views are those of its page and of its threads'.
	addTrafficCategories = `
INSERT INTO traffic_categories (day, category_id, views)
SELECT $1::date, category_id, sum(v) FROM (
	SELECT c.id AS category_id, x.v FROM unnest($2::text[], $3::bigint[]) AS x(slug, v) JOIN categories c ON c.slug = x.slug
	UNION ALL
	SELECT t.category_id, x.v FROM unnest($4::bigint[], $5::bigint[]) AS x(id, v) JOIN threads t ON t.id = x.id
) v GROUP BY category_id ORDER BY category_id
ON CONFLICT (day, category_id) DO UPDATE SET views = traffic_categories.views + EXCLUDED.views`

	addTrafficReferrers = `
INSERT INTO traffic_referrers (day, domain, views)
SELECT $1::date, d, v FROM unnest($2::text[], $3::bigint[]) AS x(d, v) ORDER BY d
ON CONFLICT (day, domain) DO UPDATE SET views = traffic_referrers.views + EXCLUDED.views`

	addTrafficReaders = `
INSERT INTO traffic_readers (day, reader)
SELECT $1::date, r FROM unnest($2::bytea[]) AS r
ON CONFLICT DO NOTHING`
)

// FlushTraffic adds the batches to the rollups, in one transaction, oldest
// day first (instances flushing at once lock the rows, the months' too, in
// the same order).
func (db *DB) FlushTraffic(ctx context.Context, batches ...*TrafficBatch) error {
	batches = slices.Clone(batches)
	slices.SortFunc(batches, func(a, b *TrafficBatch) int { return a.Day.Compare(b.Day) })
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, b := range batches {
			if b.Empty() {
				continue
			}
			if err := flushTrafficBatch(ctx, tx, b); err != nil {
				return err
			}
		}
		return nil
	})
}

func flushTrafficBatch(ctx context.Context, tx *sqlx.Tx, b *TrafficBatch) error {
	day := b.Day.Format(time.DateOnly)
	var kinds []string
	var views, search []int64
	for _, k := range ViewKinds {
		if b.Views[k] > 0 || b.SearchViews[k] > 0 {
			kinds, views, search = append(kinds, k), append(views, b.Views[k]), append(search, b.SearchViews[k])
		}
	}
	if _, err := tx.ExecContext(ctx, addTrafficViews, day, pq.Array(kinds), pq.Array(views), pq.Array(search)); err != nil {
		return Internal("adding page views", err)
	}
	var tids, tviews []int64
	for id, n := range b.Threads {
		tids, tviews = append(tids, id), append(tviews, n)
	}
	if len(tids) > 0 {
		if _, err := tx.ExecContext(ctx, addTrafficThreads, day, pq.Array(tids), pq.Array(tviews)); err != nil {
			return Internal("adding thread views", err)
		}
	}
	var slugs []string
	var cviews []int64
	for slug, n := range b.Categories {
		slugs, cviews = append(slugs, slug), append(cviews, n)
	}
	if len(slugs) > 0 || len(tids) > 0 {
		if _, err := tx.ExecContext(ctx, addTrafficCategories, day, pq.Array(slugs), pq.Array(cviews), pq.Array(tids), pq.Array(tviews)); err != nil {
			return Internal("adding category views", err)
		}
	}
	var domains []string
	var rviews []int64
	for d, n := range b.Referrers {
		domains, rviews = append(domains, d), append(rviews, n)
	}
	if len(domains) > 0 {
		if _, err := tx.ExecContext(ctx, addTrafficReferrers, day, pq.Array(domains), pq.Array(rviews)); err != nil {
			return Internal("adding referrers", err)
		}
	}
	if len(b.Readers) == 0 {
		return nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return Internal("drawing a salt", err)
	}
	var salt []byte
	if err := tx.GetContext(ctx, &salt, `
WITH s AS (INSERT INTO traffic_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING RETURNING salt)
SELECT salt FROM s UNION ALL SELECT salt FROM traffic_salts WHERE day = $1 LIMIT 1`, day, fresh); err != nil {
		return Internal("reading the day's salt", err)
	}
	readers := make([][]byte, 0, len(b.Readers))
	for r := range b.Readers {
		h := sha256.New()
		h.Write(salt)
		h.Write(r[:])
		readers = append(readers, h.Sum(nil)[:16])
	}
	if _, err := tx.ExecContext(ctx, addTrafficReaders, day, pq.ByteaArray(readers)); err != nil {
		return Internal("adding readers", err)
	}
	return nil
}

// foldTrafficReaders counts the readers of the days before today and
// deletes their hashes and salts.
func foldTrafficReaders(ctx context.Context, tx *sqlx.Tx, today string) error {
	if _, err := tx.ExecContext(ctx, `
INSERT INTO traffic_readers_days (day, readers)
SELECT day, count(*) FROM traffic_readers WHERE day < $1::date GROUP BY day
ON CONFLICT (day) DO UPDATE SET readers = traffic_readers_days.readers + EXCLUDED.readers`, today); err != nil {
		return Internal("counting the readers", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM traffic_readers WHERE day < $1::date`, today); err != nil {
		return Internal("deleting the readers' hashes", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM traffic_salts WHERE day < $1::date`, today); err != nil {
		return Internal("deleting the salts", err)
	}
	return nil
}

// TrafficDay is one day of page views by kind, the views a search engine
// sent, and the day's unique readers (members and anonymous readers).
type TrafficDay struct {
	Day       time.Time `db:"day"`
	Member    int64     `db:"member"`
	Anonymous int64     `db:"anonymous"`
	Crawler   int64     `db:"crawler"`
	Search    int64     `db:"search"`
	Readers   int64     `db:"readers"`
}

// TrafficTotals are a period's sums; Readers adds each day's unique
// readers (a reader of two days counts twice).
type TrafficTotals struct {
	Member    int64 `json:"member"`
	Anonymous int64 `json:"anonymous"`
	Crawler   int64 `json:"crawler"`
	Search    int64 `json:"search"`
	Readers   int64 `json:"readers"`
}

func sumTraffic(days []TrafficDay) TrafficTotals {
	var t TrafficTotals
	for _, d := range days {
		t.Member += d.Member
		t.Anonymous += d.Anonymous
		t.Crawler += d.Crawler
		t.Search += d.Search
		t.Readers += d.Readers
	}
	return t
}

// Viewed is a thread or category with its views over a period.
type Viewed struct {
	ID    int64  `db:"id" json:"id"`
	Title string `db:"title" json:"title"`
	Slug  string `db:"slug" json:"slug"`
	Views int64  `db:"views" json:"views"`
}

// Referrer is a domain that sent readers, with its views.
type Referrer struct {
	Domain string `db:"domain" json:"domain"`
	Views  int64  `db:"views" json:"views"`
}

// The traffic queries take the period's first and last days.
const (
	// The days that have rows (fillDays adds the others); the unique
	// readers of a day not counted yet (today's) are those of its hashes.
	dashboardTraffic = `
WITH t AS (
	SELECT day, coalesce(sum(views) FILTER (WHERE kind = 'member'), 0) AS member,
	       coalesce(sum(views) FILTER (WHERE kind = 'anonymous'), 0) AS anonymous,
	       coalesce(sum(views) FILTER (WHERE kind = 'crawler'), 0) AS crawler, sum(search_views) AS search
	FROM traffic_days WHERE day BETWEEN $1::date AND $2::date GROUP BY day
), r AS (
	SELECT day, readers FROM traffic_readers_days WHERE day BETWEEN $1::date AND $2::date
), l AS (
	SELECT day, count(*) AS readers FROM traffic_readers WHERE day BETWEEN $1::date AND $2::date GROUP BY day
)
SELECT day::timestamp AT TIME ZONE 'UTC' AS day, coalesce(t.member, 0) AS member, coalesce(t.anonymous, 0) AS anonymous,
       coalesce(t.crawler, 0) AS crawler, coalesce(t.search, 0) AS search, coalesce(r.readers, l.readers, 0) AS readers
FROM t FULL JOIN r USING (day) FULL JOIN l USING (day)
ORDER BY day`

	dashboardTopCategories = `
SELECT c.id, c.name AS title, c.slug, sum(v.views) AS views
FROM traffic_categories v JOIN categories c ON c.id = v.category_id
WHERE v.day BETWEEN $1::date AND $2::date
GROUP BY c.id ORDER BY views DESC, c.id LIMIT 10`
)

func (d *Dashboard) loadTraffic(ctx context.Context, tx *sqlx.Tx) error {
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	from, to := date(d.Period.From), date(d.Period.To)
	if err := tx.SelectContext(ctx, &d.TrafficDays, dashboardTraffic, from, to); err != nil {
		return Internal("reading page views", err)
	}
	d.TrafficDays = fillDays(d.Period, d.TrafficDays, func(t TrafficDay) time.Time { return t.Day }, func(t time.Time) TrafficDay { return TrafficDay{Day: t} })
	var prev []TrafficDay
	if err := tx.SelectContext(ctx, &prev, dashboardTraffic, date(d.Prior.From), date(d.Prior.To)); err != nil {
		return Internal("reading page views", err)
	}
	d.Traffic, d.PreviousTraffic = sumTraffic(d.TrafficDays), sumTraffic(prev)
	d.TopCategories = []Viewed{}
	if err := tx.SelectContext(ctx, &d.TopCategories, dashboardTopCategories, from, to); err != nil {
		return Internal("listing the most read categories", err)
	}
	return d.loadTopViewed(ctx, tx)
}
