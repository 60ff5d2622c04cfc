package forum

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// A page of a thread is the hottest read of a forum, and most of it is the
// same for every reader who is not staff: the thread and its published,
// hidden and deleted posts. ThreadPage keeps that part in memory (a
// snapshot) and reads only what belongs to the reader — their reading
// state, their likes, whether they have a held post there — with one small
// query, which also fingerprints the rows the snapshot was made of: the
// xmin of the thread and of each post on the page changes with every write
// to them, so a snapshot older than the last committed change is never
// served, on any instance, without waiting for a notification. What the
// fingerprint does not cover (a member's or a category's name) is dropped
// on ChannelContent, as the anonymous page cache is, and after
// snapshotTTL at worst.

// snapshotTTL bounds how long names shown on a snapshot may lag if a
// notification were lost.
const snapshotTTL = 5 * time.Minute

// snapshotBudget bounds the memory of the snapshots (post bodies, mostly):
// past it the cache starts over.
const snapshotBudget = 16 << 20

type threadSnapshot struct {
	thread Thread // without the reading state
	posts  []Post // PostsPerPage+1 at most, none held, not redacted, Liked false
	stamp  string // fingerprint, see snapshotStamp
	size   int
}

// postIDs are the ids of the snapshot's posts, for the likes of a reader.
func (s *threadSnapshot) postIDs() pq.Int64Array {
	ids := make(pq.Int64Array, len(s.posts))
	for i := range s.posts {
		ids[i] = s.posts[i].ID
	}
	return ids
}

type snapshotKey struct {
	thread int64
	after  int
}

// snapshotStamp fingerprints a thread row and the posts of a page: the
// same text as the stamp column of selectThreadReader.
func snapshotStamp(threadXmin string, posts []snapshotPost) string {
	var b strings.Builder
	b.WriteString(threadXmin)
	for i := range posts {
		b.WriteByte(',')
		b.WriteString(strconv.FormatInt(posts[i].ID, 10))
		b.WriteByte(':')
		b.WriteString(posts[i].Xmin)
	}
	return b.String()
}

type snapshotPost struct {
	Post
	Xmin string `db:"xmin"`
}

// selectSnapshotThread and selectSnapshotPosts read a snapshot: the thread
// as a visitor sees it, and a page of its posts that are not held.
const selectSnapshotThread = `
SELECT` + threadColumns + `, NULL AS last_read, NULL AS unread, t.xmin::text AS xmin
FROM threads t
JOIN categories c ON c.id = t.category_id
LEFT JOIN members a ON a.id = t.author_id
LEFT JOIN members lp ON lp.id = t.last_poster_id
WHERE t.id = $1`

const selectSnapshotPosts = `
SELECT` + pagePostColumns + `, false AS liked, p.xmin::text AS xmin
FROM posts p
LEFT JOIN members a ON a.id = p.author_id
WHERE p.thread_id = $1 AND p.number > $2 AND p.status <> 'held' AND p.removal <> 'unpublished'
ORDER BY p.number
LIMIT $3`

// threadReaderColumns is what every page of a thread needs of its reader
// ($2, 0 for a visitor) — reading state, likes, held posts — with the
// fingerprint of the rows a snapshot of it holds: served by primary keys,
// the posts' (thread_id, number) index and the small index of held posts.
// The fingerprint is an ARRAY of the page's rows in the index's order,
// joined: an ordered aggregate (string_agg … ORDER BY) sorts its input again
// at every call, though it comes in order.
const threadReaderColumns = `
SELECT t.xmin::text || array_to_string(ARRAY(
		SELECT ',' || id::text || ':' || xmin::text FROM posts
		WHERE thread_id = $1 AND number > $3 AND status <> 'held' AND removal <> 'unpublished'
		ORDER BY number LIMIT $4), '') AS stamp,
	rs.last_read_number AS last_read,
	ARRAY(SELECT l.post_id FROM likes l WHERE l.member_id = $2 AND l.post_id = ANY($5::bigint[])) AS liked,
	(EXISTS (SELECT 1 FROM posts h WHERE h.thread_id = $1 AND h.author_id = $2 AND h.status = 'held')
		OR EXISTS (SELECT 1 FROM post_pending_edits pe WHERE pe.thread_id = $1 AND pe.author_id = $2)) AS has_held`

const threadReaderFrom = `
FROM threads t
LEFT JOIN read_states rs ON rs.thread_id = t.id AND rs.member_id = $2
WHERE t.id = $1`

// selectThreadReader is what the page of a thread in HTML needs of its
// reader: threadReaderColumns, their watching, whether they moderate the
// category, their bookmarks and the members they ignore.
const selectThreadReader = threadReaderColumns + `,
	coalesce((SELECT w.level FROM watches w WHERE w.member_id = $2 AND w.thread_id = $1), '') AS thread_level,
	coalesce((SELECT w.level FROM watches w WHERE w.member_id = $2 AND w.category_id = t.category_id), '') AS category_level,
	EXISTS (SELECT 1 FROM category_moderators cm WHERE cm.member_id = $2 AND cm.category_id = t.category_id) AS moderates,
	ARRAY(SELECT b.post_id FROM bookmarks b WHERE b.member_id = $2 AND b.post_id = ANY($5::bigint[])) AS bookmarked,
	ARRAY(SELECT i.ignored_id FROM ignored_members i WHERE i.member_id = $2) AS ignored` + threadReaderFrom

// selectThreadPostsReader is what a page of posts alone needs of its reader
// (ThreadPagePosts): threadReaderColumns.
const selectThreadPostsReader = threadReaderColumns + threadReaderFrom

type threadReader struct {
	Stamp    string
	LastRead *int
	Liked    pq.Int64Array
	HasHeld  bool
	WatchLevels
	Moderates  bool
	Bookmarked pq.Int64Array
	Ignored    pq.Int64Array
}

// read runs selectThreadReader, or selectThreadPostsReader when not whole
// (scanned without reflection: every member's page view runs it).
func (r *threadReader) read(ctx context.Context, db *DB, id, viewer int64, after int, ids pq.Int64Array, whole bool) error {
	if !whole {
		return db.stmts.threadPostsReader.QueryRowContext(ctx, id, viewer, after, PostsPerPage+1, ids).
			Scan(&r.Stamp, &r.LastRead, &r.Liked, &r.HasHeld)
	}
	return db.stmts.threadReader.QueryRowContext(ctx, id, viewer, after, PostsPerPage+1, ids).
		Scan(&r.Stamp, &r.LastRead, &r.Liked, &r.HasHeld, &r.Thread, &r.Category, &r.Moderates, &r.Bookmarked, &r.Ignored)
}

// ThreadPage returns a thread and its page of posts after the number after,
// as the actor of ctx may see them (as ThreadByID and ThreadPosts), with a
// member's watching of the thread (Thread.Watch), from a snapshot when one
// is current.
func (db *DB) ThreadPage(ctx context.Context, id int64, after int) (*Thread, *PostPage, error) {
	return db.threadPage(ctx, id, after, true)
}

// ThreadPagePosts is ThreadPage without what only the page in HTML shows of
// its reader, which it does not read: their watching (Thread.Watch is nil),
// whether they moderate the category (Thread.Moderates), their bookmarks and
// the members they ignore (Post.Bookmarked, Post.AuthorIgnored: false). The
// thread's page as JSON shows none of them.
func (db *DB) ThreadPagePosts(ctx context.Context, id int64, after int) (*Thread, *PostPage, error) {
	return db.threadPage(ctx, id, after, false)
}

// threadPage is ThreadPage when whole, ThreadPagePosts otherwise.
func (db *DB) threadPage(ctx context.Context, id int64, after int, whole bool) (*Thread, *PostPage, error) {
	a := ActorFrom(ctx)
	after = max(after, 0)
	if a.IsStaff() {
		return db.threadPageUncached(ctx, id, after, whole)
	}
	key := snapshotKey{id, after}
	snap, _ := db.snapshots.Get(key)
	var ids pq.Int64Array
	if snap != nil {
		ids = snap.postIDs()
	}
	var r threadReader
	err := r.read(ctx, db, id, a.viewerID(), after, ids, whole)
	if err != nil {
		return nil, nil, notFound(err, "thread.not_found", "reading a thread")
	}
	if r.HasHeld {
		// Their own held post (or pending edit) shows to its author, in
		// its place.
		return db.threadPageUncached(ctx, id, after, whole)
	}
	if snap == nil || snap.stamp != r.Stamp {
		unlock := db.snapshots.Loading(key)
		if snap, _ = db.snapshots.Get(key); snap == nil || snap.stamp != r.Stamp {
			snap, err = db.snapshot(ctx, key)
		}
		unlock()
		if err != nil {
			return nil, nil, err
		}
		if snap == nil || snap.stamp != r.Stamp {
			// Written between the two reads, or not published: read it
			// the ordinary way.
			return db.threadPageUncached(ctx, id, after, whole)
		}
		// The likes were asked about no post: ask again.
		if a.Member != nil && len(snap.posts) > 0 {
			if err := r.read(ctx, db, id, a.viewerID(), after, snap.postIDs(), whole); err != nil {
				return nil, nil, notFound(err, "thread.not_found", "reading a thread")
			}
			if r.HasHeld || snap.stamp != r.Stamp {
				return db.threadPageUncached(ctx, id, after, whole)
			}
		}
	}
	t := snap.thread
	t.LastRead = r.LastRead
	t.Moderates = r.Moderates
	if whole && a.Member != nil {
		w := r.WatchLevels.settle(true)
		t.Watch = &w
	}
	liked, bookmarked, ignored := idSet(r.Liked), idSet(r.Bookmarked), idSet(r.Ignored)
	posts := make([]Post, len(snap.posts))
	copy(posts, snap.posts)
	for i := range posts {
		p := &posts[i]
		p.Liked, p.Bookmarked = liked[p.ID], bookmarked[p.ID]
		p.AuthorIgnored = p.AuthorID != nil && ignored[*p.AuthorID]
		a.redact(p)
	}
	return &t, newPostPage(posts), nil
}

// idSet is a set of ids.
func idSet(ids []int64) map[int64]bool {
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// snapshot reads the snapshot of a page of a published thread and keeps
// it; nil when the thread is not published (its readers vary).
func (db *DB) snapshot(ctx context.Context, key snapshotKey) (*threadSnapshot, error) {
	gen := db.snapshots.Generation()
	var t struct {
		Thread
		Xmin string `db:"xmin"`
	}
	if err := db.stmts.snapshotThread.GetContext(ctx, &t, key.thread); err != nil {
		return nil, notFound(err, "thread.not_found", "reading a thread")
	}
	if t.Status != StatusPublished {
		return nil, nil
	}
	var rows []snapshotPost
	if err := db.stmts.snapshotPosts.SelectContext(ctx, &rows, key.thread, key.after, PostsPerPage+1); err != nil {
		return nil, Internal("reading a thread's posts", err)
	}
	s := &threadSnapshot{thread: t.Thread, posts: make([]Post, len(rows)), stamp: snapshotStamp(t.Xmin, rows), size: 1024}
	for i := range rows {
		s.posts[i] = rows[i].Post
		s.size += 256 + len(rows[i].BodyHTML) + len(rows[i].BodyMarkdown)
	}
	db.snapshots.Put(gen, key, s, s.size)
	return s, nil
}

// threadPageUncached reads a page for readers whose view no snapshot holds:
// the staff, and authors of held posts.
func (db *DB) threadPageUncached(ctx context.Context, id int64, after int, whole bool) (*Thread, *PostPage, error) {
	t, err := db.ThreadByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	page, err := db.ThreadPosts(ctx, id, after)
	if err != nil {
		return nil, nil, err
	}
	if !whole {
		for i := range page.Posts {
			page.Posts[i].Bookmarked, page.Posts[i].AuthorIgnored = false, false
		}
		return t, page, nil
	}
	if t.Moderates, err = db.CanModerateCategory(ctx, t.CategoryID); err != nil {
		return nil, nil, err
	}
	if ActorFrom(ctx).Member != nil {
		w, err := db.WatchLevelsOf(ctx, t.ID, t.CategoryID)
		if err != nil {
			return nil, nil, err
		}
		t.Watch = &w
	}
	return t, page, nil
}
