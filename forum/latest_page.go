package forum

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
)

// The first page of the latest threads (the home page, /latest) is, like a
// thread's page, the same for every reader who is not staff but for their
// reading state. It is kept in memory (a snapshot), with the categories
// the home page lists beside it, and each request reads only what belongs
// to its reader with latest_reader (migration 0020): their reading state
// of the listed threads, whether they have a held thread, and the
// fingerprint (ids and row versions) of the first threads by activity and
// of the categories. A snapshot whose fingerprint differs is never served,
// on any instance, without waiting for a notification. Names that the
// fingerprint does not cover (authors, last posters) are dropped on
// ChannelContent and after snapshotTTL at worst, as the thread pages' are.

type latestSnapshot struct {
	threads []Thread // published, without reading state
	stamp   string   // see listStamp
}

type categoriesSnapshot struct {
	categories []Category
	stamp      string // see versionStamp, in id order
}

// rowVersion is a row's id and xmin, which changes with every write to it.
type rowVersion struct {
	id      int64
	version string
}

// versionStamp fingerprints rows: "id:xmin,id:xmin…", the text
// latest_reader's versions are compared in.
func versionStamp(rows []rowVersion) string {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(r.id, 10))
		b.WriteByte(':')
		b.WriteString(r.version)
	}
	return b.String()
}

// listStamp fingerprints a list: its threads, in their order, and the
// categories, whose names the threads carry.
func listStamp(threads []rowVersion, categories string) string {
	return versionStamp(threads) + "|" + categories
}

// latestReader is what latest_reader returns for a viewer.
type latestReader struct {
	threads         []rowVersion
	lastRead        []*int
	unread          []*int
	hasHeld         bool
	categoriesStamp string
}

const selectLatestReader = `SELECT * FROM latest_reader($1, $2)`

func (db *DB) readLatest(ctx context.Context, viewer int64, rows int) (*latestReader, error) {
	rs, err := db.stmts.latestReader.QueryContext(ctx, viewer, rows)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	r := &latestReader{}
	for rs.Next() {
		var (
			v                rowVersion
			lastRead, unread *int
			categoriesStamp  *string
		)
		if err := rs.Scan(&v.id, &v.version, &lastRead, &unread, &r.hasHeld, &categoriesStamp); err != nil {
			return nil, err
		}
		r.threads = append(r.threads, v)
		r.lastRead = append(r.lastRead, lastRead)
		r.unread = append(r.unread, unread)
		if categoriesStamp != nil {
			r.categoriesStamp = *categoriesStamp
		}
	}
	return r, rs.Err()
}

// selectLatestSnapshot reads the first threads by activity as a visitor
// sees them, with their row versions and those of the categories (whose
// names the threads carry), in one statement (one MVCC snapshot: the
// versions are those of the rows read).
const selectLatestSnapshot = `
SELECT l.*, (SELECT t.xmin::text FROM threads t WHERE t.id = l.id),
	(SELECT string_agg(c.id::text || ':' || c.xmin::text, ',' ORDER BY c.id)
	 FROM (SELECT c.id, c.xmin FROM categories c ORDER BY c.id) c)
FROM latest_threads(0, 'infinity', ` + maxInt64SQL + `, $1, false) l
ORDER BY l.last_post_at DESC, l.id DESC`

const maxInt64SQL = "9223372036854775807"

func (db *DB) latestSnapshot(ctx context.Context, rows int) (*latestSnapshot, error) {
	gen := db.latestLists.Generation()
	rs, err := db.pool.QueryContext(ctx, selectLatestSnapshot, rows)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	s := &latestSnapshot{}
	var (
		versions   []rowVersion
		categories string
	)
	for rs.Next() {
		var (
			t    Thread
			v, c string
		)
		if err := rs.Scan(append(t.listFields(), &v, &c)...); err != nil {
			return nil, err
		}
		s.threads = append(s.threads, t)
		versions = append(versions, rowVersion{t.ID, v})
		categories = c
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	s.stamp = listStamp(versions, categories)
	db.latestLists.Put(gen, rows, s, 1)
	return s, nil
}

// selectCategoriesSnapshot is selectCategories with each row's version.
var selectCategoriesSnapshot = strings.Replace(selectCategories, "FROM categories c", ", c.xmin::text\nFROM categories c", 1)

// versioned scans a row whose last column is its version into v, after
// the columns a scan function reads (scanCategory).
type versioned struct {
	row interface{ Scan(...any) error }
	v   *string
}

func (r versioned) Scan(dest ...any) error { return r.row.Scan(append(dest, r.v)...) }

func (db *DB) categoriesSnapshot(ctx context.Context) (*categoriesSnapshot, error) {
	gen := db.latestCategories.Generation()
	rs, err := db.pool.QueryContext(ctx, selectCategoriesSnapshot)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	s := &categoriesSnapshot{}
	var versions []rowVersion
	for rs.Next() {
		var v string
		c, err := scanCategory(versioned{rs, &v})
		if err != nil {
			return nil, err
		}
		s.categories = append(s.categories, c)
		versions = append(versions, rowVersion{c.ID, v})
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(versions, func(a, b rowVersion) int { return cmp.Compare(a.id, b.id) })
	s.stamp = versionStamp(versions)
	db.latestCategories.Put(gen, struct{}{}, s, 1)
	return s, nil
}

// latestFromSnapshot returns the first page of limit latest threads for
// the actor of ctx from a snapshot, with the categories when asked; ok is
// false when no snapshot can serve them (the staff, a member with a held
// thread, a forum without threads, a write between two reads), and the
// caller reads the ordinary way.
func (db *DB) latestFromSnapshot(ctx context.Context, limit int, withCategories bool) (l *ThreadList, cats []Category, ok bool, err error) {
	a := ActorFrom(ctx)
	if a.IsStaff() {
		return nil, nil, false, nil
	}
	rows := limit + 1 // one more, to know whether another page follows
	r, err := db.readLatest(ctx, a.viewerID(), rows)
	if err != nil {
		return nil, nil, false, Internal("listing threads", err)
	}
	if r.hasHeld || len(r.threads) == 0 {
		return nil, nil, false, nil
	}
	stamp := listStamp(r.threads, r.categoriesStamp)
	snap, _ := db.latestLists.Get(rows)
	if snap == nil || snap.stamp != stamp {
		// One request makes the new snapshot; those that came at the same
		// time wait for it rather than all reading the same rows.
		unlock := db.latestLists.Loading(rows)
		if snap, _ = db.latestLists.Get(rows); snap == nil || snap.stamp != stamp {
			snap, err = db.latestSnapshot(ctx, rows)
		}
		unlock()
		if err != nil {
			return nil, nil, false, Internal("listing threads", err)
		}
		if snap.stamp != stamp {
			return nil, nil, false, nil
		}
	}
	threads := slices.Clone(snap.threads)
	for i := range threads {
		threads[i].LastRead, threads[i].Unread = r.lastRead[i], r.unread[i]
	}
	if withCategories {
		cs, _ := db.latestCategories.Get(struct{}{})
		if cs == nil || cs.stamp != r.categoriesStamp {
			unlock := db.latestCategories.Loading(struct{}{})
			if cs, _ = db.latestCategories.Get(struct{}{}); cs == nil || cs.stamp != r.categoriesStamp {
				cs, err = db.categoriesSnapshot(ctx)
			}
			unlock()
			if err != nil {
				return nil, nil, false, Internal("listing categories", err)
			}
			if cs.stamp != r.categoriesStamp {
				return nil, nil, false, nil
			}
		}
		cats = slices.Clone(cs.categories)
	}
	return pageOf(threads, limit, false), cats, true, nil
}

// Home returns what the home page lists: the categories in display order
// and the limit most recently active threads, as the actor of ctx sees them.
func (db *DB) Home(ctx context.Context, limit int) ([]Category, []Thread, error) {
	l, cats, ok, err := db.latestFromSnapshot(ctx, limit, true)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		return cats, l.Threads, nil
	}
	if cats, err = db.Categories(ctx); err != nil {
		return nil, nil, err
	}
	threads, err := db.LatestThreads(ctx, limit)
	if err != nil {
		return nil, nil, err
	}
	return cats, threads, nil
}
