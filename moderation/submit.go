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
	db    *forum.DB
	rules ruleCache // the guideline rules, compiled (rule_set.go)
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
	out.Post, err = p.store(ctx, c, true, func(tx *sqlx.Tx) (*forum.Post, error) {
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

// SubmitReply runs a reply through the pipeline and stores it.
func (p *Pipeline) SubmitReply(ctx context.Context, s ReplySubmission) (*Submitted, error) {
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
	out := &Submitted{Verdict: &c.Verdict}
	if _, logged := c.Verdict.record(); s.ReplyTo == nil && body.refs().None() && logged == "" {
		post, err := p.submitDirect(ctx, c, s.ThreadID)
		if err != nil || post != nil {
			out.Post = post
			return out, err
		}
	}
	out.Post, err = p.store(ctx, c, false, func(tx *sqlx.Tx) (*forum.Post, error) {
		return forum.CreateReplyTx(ctx, tx, forum.NewReply{
			ThreadID: s.ThreadID, AuthorID: author.ID, ReplyTo: s.ReplyTo,
			BodyMarkdown: body.Markdown, BodyHTML: body.HTML, Status: c.Verdict.Status(),
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// submitDirect stores a common reply, which refers to nothing and whose
// verdict neither the review queue nor the moderation log keep, in one
// statement (forum.DB.SubmitReply) instead of store's transaction. It
// returns no post and no error when the history rules decide something
// that statement cannot store (a hold or a flag): store's transaction
// takes it from the start.
func (p *Pipeline) submitDirect(ctx context.Context, c *checked, threadID int64) (*forum.Post, error) {
	r := forum.DirectReply{
		ThreadID: threadID, AuthorID: c.author.ID,
		BodyMarkdown: c.Prepared.Markdown, BodyHTML: c.Prepared.HTML, Status: c.Verdict.Status(),
	}
	q, ask := c.rules.historyQuery(historyDraft{Author: c.author, Settings: c.settings, Markdown: c.Prepared.Markdown})
	if ask {
		r.History = &q
	}
	post, history, err := p.db.SubmitReply(ctx, r)
	switch {
	case err != nil:
		return nil, err
	case post != nil:
		return post, nil
	}
	// A count reached its limit: a refusal ends here, anything else goes
	// through the transaction, which counts again and merges for itself.
	v := c.Verdict
	v.Reasons = slices.Clone(v.Reasons)
	v.merge(c.rules.historyVerdict(q, *history))
	if err := v.Err(); err != nil {
		c.Verdict = v
		return nil, err
	}
	return nil, nil
}

// store keeps a checked submission in one transaction: the rules that need
// the member's history (rate limits, duplicates, new members: they may still
// hold or refuse), the post that create makes, its mentions and quotes, and
// the review item and log line of a held or flagged post; a published post
// is then notified about (forum.DB.FanOut).
func (p *Pipeline) store(ctx context.Context, c *checked, newThread bool, create func(tx *sqlx.Tx) (*forum.Post, error)) (*forum.Post, error) {
	var post *forum.Post
	err := p.db.InContentTx(ctx, func(tx *sqlx.Tx) error {
		if err := c.historyTx(ctx, tx, newThread); err != nil {
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
