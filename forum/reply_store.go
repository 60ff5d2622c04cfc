package forum

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Every reply is stored by storeRepliesTx, alone or with the replies of
// concurrent requests (reply_batches.go): reply_facts (migration 0045)
// takes the locks and reads what the posting rules look at, the rules
// decide in Go (replyRefusal, the reply's target, the caller's Decide for
// the history rules), and store_replies writes the replies kept. No rule
// is written in SQL.

// Reply is a reply about to be stored, through the moderation pipeline's
// text stages.
type Reply struct {
	ThreadID     int64
	AuthorID     int64
	ReplyTo      *int // the number of the post replied to, if any
	BodyMarkdown string
	BodyHTML     string
	Status       string // StatusPublished or StatusHeld, unless Decide says otherwise
	// History is what the caller's history rules ask (rate limits,
	// duplicates, new members); nil when the author is not subject to them.
	History *HistoryQuery
	// Decide, with History, gives the status to store the reply with, or
	// the error that refuses it, from the author's history: what History
	// asked, counting the author's replies stored before this one in the
	// same transaction. It runs under the member's posting lock, on another
	// goroutine than the request's, and may run more than once (a batch
	// PostgreSQL refused is submitted again reply by reply).
	Decide func(History) (status string, err error)
	// Record, if set, writes what goes beside the stored post in its
	// transaction (mentions, quotes, a review item, a log line).
	Record func(ctx context.Context, tx *sqlx.Tx, p *Post) error
}

// NewReply is a reply stored by CreateReplyTx.
type NewReply struct {
	ThreadID     int64
	AuthorID     int64
	ReplyTo      *int
	BodyMarkdown string
	BodyHTML     string
	Status       string
}

// pendingReply is a reply, who sends it, and what became of it.
type pendingReply struct {
	Reply
	actor Actor
	post  *Post // stored
	err   error // refused by a rule
}

// replyFacts is reply_facts' answer for one reply.
type replyFacts struct {
	history               History
	duplicateOf           pq.Int64Array
	found, locked, closed sql.NullBool
	status                sql.NullString
	threadAuthor          sql.NullInt64
	nextNumber            sql.NullInt32
	targetFound           sql.NullBool
	targetStatus          sql.NullString
	targetAuthor          sql.NullInt64
}

const selectReplyFacts = `
SELECT ord, recent_posts, duplicate, published, duplicate_of, thread_found, thread_locked, thread_closed,
	thread_status, thread_author_id, next_number, target_found, target_status, target_author_id
FROM reply_facts($1, $2, $3, $4, $5, $6, $7, $8, $9)`

const insertReplies = `
SELECT ord, post_id, post_created_at FROM store_replies($1, $2, $3, $4, $5, $6, $7)`

// CreateReplyTx stores one reply in tx, as SubmitReply does without its
// history rules; the change is announced by the content triggers at commit.
func CreateReplyTx(ctx context.Context, tx *sqlx.Tx, nr NewReply) (*Post, error) {
	r := &pendingReply{actor: ActorFrom(ctx), Reply: Reply{ThreadID: nr.ThreadID, AuthorID: nr.AuthorID, ReplyTo: nr.ReplyTo,
		BodyMarkdown: nr.BodyMarkdown, BodyHTML: nr.BodyHTML, Status: nr.Status}}
	if err := storeRepliesTx(ctx, tx, nil, false, []*pendingReply{r}); err != nil {
		return nil, Internal("creating a post", err)
	}
	return r.post, r.err
}

// replyRefusal is why the actor may not reply to a thread in this state,
// or nil: staff, or a published thread neither locked nor closed.
func replyRefusal(actor Actor, status string, authorID *int64, locked, closed bool) error {
	staff := actor.IsStaff()
	switch {
	case !actor.canSeeThread(status, authorID):
		return Errorf(ENOTFOUND, "thread.not_found", nil)
	case status != StatusPublished && !staff:
		// The author of a thread still held for approval waits for it.
		return Errorf(EFORBIDDEN, "thread.not_open", nil)
	case (locked || closed) && !staff:
		return Errorf(EFORBIDDEN, "thread.locked", nil)
	}
	return nil
}

// targetRefusal is why a reply may not answer the post it names, or nil.
func targetRefusal(actor Actor, replyTo *int, f *replyFacts) error {
	if replyTo == nil {
		return nil
	}
	if *replyTo < 1 || *replyTo > math.MaxInt32 || !f.targetFound.Valid {
		return Errorf(EINVALID, "post.reply_to_invalid", nil).OnField("reply_to")
	}
	var author *int64
	if f.targetAuthor.Valid {
		author = &f.targetAuthor.Int64
	}
	if !actor.canSeePost(f.targetStatus.String, author) {
		return Errorf(EINVALID, "post.reply_to_invalid", nil).OnField("reply_to")
	}
	return nil
}

// storeRepliesTx decides and stores replies in tx: each reply ends with a
// post or the error of a rule (in its post and err). The replies are
// decided in the order of their threads, then as given; each one's
// history counts the same author's replies kept before it. It returns an
// error when the transaction failed (and nothing may be committed).
// afterCommit silences the content triggers: the caller announces after
// the commit. stmts, when not nil, has the statements prepared.
func storeRepliesTx(ctx context.Context, tx *sqlx.Tx, stmts *preparedStatements, afterCommit bool, replies []*pendingReply) error {
	facts, err := readReplyFacts(ctx, tx, stmts, afterCommit, replies)
	if err != nil {
		return err
	}
	order := make([]int, len(replies))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(replies[a].ThreadID, replies[b].ThreadID) })

	var kept []int
	statuses := make([]string, len(replies))
	numbers := make([]int32, len(replies))
	next := map[int64]int32{}
	keptAt := map[threadNumber]int{}
	for _, i := range order {
		r, f := replies[i], &facts[i]
		status := r.Status
		if r.History != nil && r.Decide != nil {
			if status, r.err = r.Decide(historyWithKept(r, f, replies, kept, statuses)); r.err != nil {
				continue
			}
		}
		if !f.found.Valid {
			r.err = Errorf(ENOTFOUND, "thread.not_found", nil)
			continue
		}
		var threadAuthor *int64
		if f.threadAuthor.Valid {
			threadAuthor = &f.threadAuthor.Int64
		}
		if r.err = replyRefusal(r.actor, f.status.String, threadAuthor, f.locked.Bool, f.closed.Bool); r.err != nil {
			continue
		}
		if r.ReplyTo != nil && !f.targetFound.Valid {
			// The post replied to may be one kept before in this batch.
			if j, ok := keptAt[threadNumber{r.ThreadID, *r.ReplyTo}]; ok {
				f.targetFound = sql.NullBool{Bool: true, Valid: true}
				f.targetStatus = sql.NullString{String: statuses[j], Valid: true}
				f.targetAuthor = sql.NullInt64{Int64: replies[j].AuthorID, Valid: true}
			}
		}
		if r.err = targetRefusal(r.actor, r.ReplyTo, f); r.err != nil {
			continue
		}
		n, ok := next[r.ThreadID]
		if !ok {
			n = f.nextNumber.Int32
		}
		next[r.ThreadID] = n + 1
		numbers[i], statuses[i] = n, status
		kept = append(kept, i)
		keptAt[threadNumber{r.ThreadID, int(n)}] = i
	}
	if len(kept) == 0 {
		return nil
	}
	if err := insertKeptReplies(ctx, tx, stmts, replies, kept, numbers, statuses); err != nil {
		return err
	}
	for _, i := range kept {
		if r := replies[i]; r.Record != nil {
			if err := r.Record(ctx, tx, r.post); err != nil {
				return err
			}
		}
	}
	return nil
}

type threadNumber struct {
	thread int64
	number int
}

// historyWithKept is the history reply_facts read for r, counting the
// replies of its author kept before it in the transaction as stored, as
// posting_history would count them.
func historyWithKept(r *pendingReply, f *replyFacts, replies []*pendingReply, kept []int, statuses []string) History {
	h := f.history
	for _, j := range kept {
		if replies[j].AuthorID != r.AuthorID {
			continue
		}
		if h.RecentPosts != nil {
			h.RecentPosts = ptr(*h.RecentPosts + 1)
		}
		if h.Duplicate != nil && slices.Contains(f.duplicateOf, int64(j+1)) {
			h.Duplicate = ptr(true)
		}
		if h.Published != nil && statuses[j] == StatusPublished {
			// counted up to the limit asked, as posting_history counts
			h.Published = ptr(min(*h.Published+1, r.History.PublishedLimit))
		}
	}
	return h
}

func ptr[T any](v T) *T { return &v }

func readReplyFacts(ctx context.Context, tx *sqlx.Tx, stmts *preparedStatements, afterCommit bool, replies []*pendingReply) ([]replyFacts, error) {
	n := len(replies)
	var (
		threads, authors             = make([]int64, n), make([]int64, n)
		replyTos                     = make([]int64, n)
		bodies                       = make([]string, n)
		history, recent              = make([]bool, n), make([]bool, n)
		duplicateMinutes, publishedN = make([]int64, n), make([]int64, n)
	)
	for i, r := range replies {
		threads[i], authors[i], bodies[i] = r.ThreadID, r.AuthorID, r.BodyMarkdown
		if r.ReplyTo != nil && *r.ReplyTo >= 1 && *r.ReplyTo <= math.MaxInt32 {
			replyTos[i] = int64(*r.ReplyTo)
		}
		if q := r.History; q != nil && r.Decide != nil {
			history[i], recent[i] = true, q.PostLimit > 0
			duplicateMinutes[i], publishedN[i] = int64(max(q.DuplicateMinutes, 0)), int64(max(q.PublishedLimit, 0))
		}
	}
	args := []any{afterCommit, pq.Array(threads), pq.Array(authors), pq.Array(replyTos), pq.Array(bodies),
		pq.Array(history), pq.Array(recent), pq.Array(duplicateMinutes), pq.Array(publishedN)}
	var rs *sql.Rows
	var err error
	if stmts != nil {
		rs, err = tx.StmtxContext(ctx, stmts.replyFacts).QueryContext(ctx, args...)
	} else {
		rs, err = tx.QueryContext(ctx, selectReplyFacts, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	facts := make([]replyFacts, n)
	answered := 0
	for rs.Next() {
		var ord int
		var f replyFacts
		if err := rs.Scan(&ord, &f.history.RecentPosts, &f.history.Duplicate, &f.history.Published, &f.duplicateOf,
			&f.found, &f.locked, &f.closed, &f.status, &f.threadAuthor, &f.nextNumber,
			&f.targetFound, &f.targetStatus, &f.targetAuthor); err != nil {
			return nil, err
		}
		if ord < 1 || ord > n {
			return nil, errors.New("reply_facts answered for a reply it was not given")
		}
		facts[ord-1] = f
		answered++
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	if answered != n {
		return nil, errors.New("reply_facts did not answer for every reply")
	}
	return facts, nil
}

// insertKeptReplies writes the replies kept, in that order, and gives each
// its post.
func insertKeptReplies(ctx context.Context, tx *sqlx.Tx, stmts *preparedStatements, replies []*pendingReply, kept []int, numbers []int32, statuses []string) error {
	n := len(kept)
	var (
		threads, authors       = make([]int64, n), make([]int64, n)
		nums, replyTos         = make([]int64, n), make([]int64, n)
		markdown, html, states = make([]string, n), make([]string, n), make([]string, n)
	)
	for k, i := range kept {
		r := replies[i]
		threads[k], authors[k], nums[k] = r.ThreadID, r.AuthorID, int64(numbers[i])
		if r.ReplyTo != nil {
			replyTos[k] = int64(*r.ReplyTo)
		}
		markdown[k], html[k], states[k] = r.BodyMarkdown, r.BodyHTML, statuses[i]
	}
	args := []any{pq.Array(threads), pq.Array(nums), pq.Array(authors), pq.Array(replyTos),
		pq.Array(markdown), pq.Array(html), pq.Array(states)}
	var rs *sql.Rows
	var err error
	if stmts != nil {
		rs, err = tx.StmtxContext(ctx, stmts.storeReplies).QueryContext(ctx, args...)
	} else {
		rs, err = tx.QueryContext(ctx, insertReplies, args...)
	}
	if err != nil {
		return err
	}
	defer rs.Close()
	stored := 0
	for rs.Next() {
		var ord int
		var id int64
		var created sql.NullTime
		if err := rs.Scan(&ord, &id, &created); err != nil {
			return err
		}
		if ord < 1 || ord > n {
			return errors.New("store_replies answered for a reply it was not given")
		}
		i := kept[ord-1]
		r := replies[i]
		author := r.AuthorID
		r.post = &Post{ID: id, ThreadID: r.ThreadID, Number: int(numbers[i]), AuthorID: &author, ReplyTo: r.ReplyTo,
			BodyMarkdown: r.BodyMarkdown, BodyHTML: r.BodyHTML, Status: statuses[i], CreatedAt: created.Time}
		stored++
	}
	if err := rs.Err(); err != nil {
		return err
	}
	if stored != n {
		return errors.New("store_replies did not store every reply")
	}
	return nil
}
