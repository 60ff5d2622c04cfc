package moderation

import (
	"context"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// Pipeline is the way every text a member submits goes: normalise, render
// Markdown, sanitize, apply the guidelines, store with the verdict.
type Pipeline struct {
	db       *forum.DB
	rules    ruleCache       // the guideline rules, compiled (rule_set.go)
	observer VerdictObserver // told every verdict (verdict_observe.go)
}

// NewPipeline returns the pipeline over db.
func NewPipeline(db *forum.DB) *Pipeline { return &Pipeline{db: db} }

// Prepared is a body through the text stages, ready to store.
type Prepared struct {
	Markdown string
	HTML     string
	Rendered Rendered
}

// refs are what the body refers to, for notifications.
func (b *Prepared) refs() forum.PostRefs {
	return forum.PostRefs{Mentions: b.Rendered.Mentions, Quotes: b.Rendered.Quotes}
}

// memberExists looks mentioned names up, once per name and post.
func (p *Pipeline) memberExists(ctx context.Context) func(string) bool {
	seen := map[string]bool{}
	return func(name string) bool {
		if ok, done := seen[name]; done {
			return ok
		}
		_, err := p.db.MemberByUsername(ctx, name)
		seen[name] = err == nil
		return err == nil
	}
}

// ThreadSubmission is a new thread as a member typed it.
type ThreadSubmission struct {
	CategoryID int64
	Title      string
	Body       string
}

// Submitted is the outcome of a submission that was stored.
type Submitted struct {
	Thread *forum.Thread
	Post   *forum.Post
	// Verdict says why the post is held (Post.Status "held") or censored:
	// Verdict.Deciding() are the reasons to show its author.
	Verdict *Verdict
	// PendingEdit: the edit of a published post waits for review
	// (Post.PendingHTML); the published body is unchanged.
	PendingEdit bool
}

// SubmitThread runs a new thread through the pipeline and stores it.
func (p *Pipeline) SubmitThread(ctx context.Context, s ThreadSubmission) (*Submitted, error) {
	out, err := p.submitThread(ctx, s)
	return observed(p, out, err)
}

func (p *Pipeline) submitThread(ctx context.Context, s ThreadSubmission) (*Submitted, error) {
	// A silenced (or suspended) member is told until when and why.
	author, err := p.db.RequirePoster(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.check(ctx, author, &s.Title, s.Body)
	if err != nil {
		return nil, err
	}
	body := &c.Prepared
	out := &Submitted{Verdict: &c.Verdict}
	out.Post, err = p.store(ctx, c, func(tx *sqlx.Tx) (*forum.Post, error) {
		var err error
		out.Thread, out.Post, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{
			CategoryID: s.CategoryID, AuthorID: author.ID, Title: c.Title,
			BodyMarkdown: body.Markdown, BodyHTML: body.HTML, Status: c.Verdict.Status(),
		})
		return out.Post, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReplySubmission is a reply as a member typed it.
type ReplySubmission struct {
	ThreadID int64
	ReplyTo  *int
	Body     string
}

// SubmitReply runs a reply through the pipeline and stores it, with the
// replies of concurrent requests (forum.DB.SubmitReply): the rules that
// count the author's history decide under the member's posting lock, in
// the transaction that stores the reply, which also records its mentions
// and quotes and, for a held or flagged reply, its review item and log line.
func (p *Pipeline) SubmitReply(ctx context.Context, s ReplySubmission) (*Submitted, error) {
	out, err := p.submitReply(ctx, s)
	return observed(p, out, err)
}

func (p *Pipeline) submitReply(ctx context.Context, s ReplySubmission) (*Submitted, error) {
	// A silenced (or suspended) member is told until when and why.
	author, err := p.db.RequirePoster(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.check(ctx, author, nil, s.Body)
	if err != nil {
		return nil, err
	}
	body := &c.Prepared
	refs := body.refs()
	text := c.Verdict
	// v is the verdict the reply is stored with. Decide and Record run on
	// the batch's goroutine while this one waits; v is read here only once
	// the reply is stored.
	v := text
	r := forum.Reply{
		ThreadID: s.ThreadID, AuthorID: author.ID, ReplyTo: s.ReplyTo,
		BodyMarkdown: body.Markdown, BodyHTML: body.HTML, Status: text.Status(),
		Record: func(ctx context.Context, tx *sqlx.Tx, post *forum.Post) error {
			if err := forum.RecordRefsTx(ctx, tx, post, refs); err != nil {
				return err
			}
			return recordVerdictTx(ctx, tx, post, &v)
		},
	}
	if q, ask := c.rules.historyQuery(historyDraft{Author: author, Settings: c.settings, Markdown: body.Markdown}); ask {
		r.History = &q
		r.Decide = func(h forum.History) (string, error) {
			v = text
			v.Reasons = slices.Clone(text.Reasons)
			if hv := c.rules.historyVerdict(q, h); len(hv.Reasons) > 0 {
				v.merge(hv)
			}
			if err := v.Err(); err != nil {
				return "", err
			}
			return v.Status(), nil
		}
	}
	post, err := p.db.SubmitReply(ctx, r)
	if err != nil {
		return nil, err
	}
	c.Verdict = v
	return &Submitted{Post: post, Verdict: &c.Verdict}, nil
}

// store keeps a checked new thread in one transaction: the rules that need
// the member's history (rate limits, duplicates, new members: they may
// still hold or refuse), the thread and first post that create makes, its
// mentions and quotes, and the review item and log line of a held or
// flagged post; a published post is then notified about (forum.DB.FanOut).
func (p *Pipeline) store(ctx context.Context, c *checked, create func(tx *sqlx.Tx) (*forum.Post, error)) (*forum.Post, error) {
	var post *forum.Post
	err := p.db.InContentTx(ctx, func(tx *sqlx.Tx) error {
		if err := c.historyTx(ctx, tx); err != nil {
			return err
		}
		var err error
		if post, err = create(tx); err != nil {
			return err
		}
		if err := forum.RecordPostTx(ctx, tx, post, c.Prepared.refs()); err != nil {
			return err
		}
		return recordVerdictTx(ctx, tx, post, &c.Verdict)
	})
	if err != nil {
		return nil, err
	}
	if post.Status == forum.StatusPublished {
		p.db.FanOut(ctx, post.ID)
	}
	return post, nil
}

// EditSubmission is a new body for a post, as its author (or a moderator)
// typed it.
type EditSubmission struct {
	PostID int64
	Body   string
	// Title, for a thread's first post, is the thread's new title (nil
	// keeps it); it goes through the rules with the body.
	Title *string
}

// SubmitEdit runs an edited body through the pipeline again and stores it;
// the previous body is kept as a revision. The author may edit within the
// edit window, staff always (forum.EditPostTx checks).
func (p *Pipeline) SubmitEdit(ctx context.Context, s EditSubmission) (*Submitted, error) {
	out, err := p.submitEdit(ctx, s)
	return observed(p, out, err)
}

func (p *Pipeline) submitEdit(ctx context.Context, s EditSubmission) (*Submitted, error) {
	editor, err := p.db.RequirePoster(ctx)
	if err != nil {
		return nil, err
	}
	window, err := p.db.EditWindow(ctx)
	if err != nil {
		return nil, err
	}
	// An edit goes through the text rules again (not the rate limits).
	c, err := p.check(ctx, editor, s.Title, s.Body)
	if err != nil {
		return nil, err
	}
	body := &c.Prepared
	status := "" // unchanged, unless the rules hold the new text
	if c.Verdict.Outcome == OutcomeHold {
		status = forum.StatusHeld
	}
	out := &Submitted{Verdict: &c.Verdict}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		edit := forum.PostEdit{PostID: s.PostID, BodyMarkdown: body.Markdown, BodyHTML: body.HTML, Status: status, Title: c.Title}
		if status == forum.StatusHeld {
			// A published post stays as it was while its edit waits for
			// review: the edit is kept aside, with the post's review item.
			var held bool
			out.Post, held, err = forum.HoldEditTx(ctx, tx, window, edit, body.refs())
			if err != nil {
				return err
			}
			if held {
				out.PendingEdit = true
				return recordVerdictTx(ctx, tx, out.Post, &c.Verdict)
			}
		}
		out.Post, err = forum.EditPostTx(ctx, tx, window, edit)
		if err != nil {
			return err
		}
		// Members mentioned or quoted by the edit are told, once; those
		// already notified of the post are not told again.
		if err := forum.RecordPostTx(ctx, tx, out.Post, body.refs()); err != nil {
			return err
		}
		return recordVerdictTx(ctx, tx, out.Post, &c.Verdict)
	})
	if err != nil {
		return nil, err
	}
	if out.Post.Status == forum.StatusPublished && !out.PendingEdit {
		p.db.FanOut(ctx, out.Post.ID)
	}
	return out, nil
}
