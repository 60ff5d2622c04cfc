package moderation

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// Length limits of submitted texts until they become settings (issue
// "Guidelines administration").
var (
	titleLimits = TextLimits{MinRunes: 3, MaxRunes: 200}
	bodyLimits  = TextLimits{MinRunes: 1, MaxRunes: 32000}
)

// Pipeline is the way every text a member submits goes: normalise, render
// Markdown, sanitize, apply the guidelines, store with the verdict.
type Pipeline struct {
	db *forum.DB
}

// NewPipeline returns the pipeline over db.
func NewPipeline(db *forum.DB) *Pipeline { return &Pipeline{db: db} }

// Prepared is a body through the text stages, ready to store.
type Prepared struct {
	Markdown string
	HTML     string
	Rendered Rendered
}

// prepareBody normalises, renders and sanitizes a post body for its author.
func (p *Pipeline) prepareBody(ctx context.Context, author *forum.Member, body string) (*Prepared, error) {
	md, err := Normalize(body, "body", bodyLimits)
	if err != nil {
		return nil, err
	}
	allowImages := author.TrustLevel >= forum.TrustBasic || author.IsStaff()
	r := Render(md, RenderOptions{
		AllowImages:  allowImages,
		MemberExists: p.memberExists(ctx),
	})
	return &Prepared{Markdown: md, HTML: Sanitize(r.HTML, allowImages), Rendered: r}, nil
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
}

// SubmitThread runs a new thread through the pipeline and stores it.
func (p *Pipeline) SubmitThread(ctx context.Context, s ThreadSubmission) (*Submitted, error) {
	author, err := forum.RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	title, err := Normalize(s.Title, "title", titleLimits)
	if err != nil {
		return nil, err
	}
	body, err := p.prepareBody(ctx, author, s.Body)
	if err != nil {
		return nil, err
	}
	out := &Submitted{}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		out.Thread, out.Post, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{
			CategoryID: s.CategoryID, AuthorID: author.ID, Title: title,
			BodyMarkdown: body.Markdown, BodyHTML: body.HTML, Status: forum.StatusPublished,
		})
		return err
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
	author, err := forum.RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	body, err := p.prepareBody(ctx, author, s.Body)
	if err != nil {
		return nil, err
	}
	out := &Submitted{}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		out.Post, err = forum.CreateReplyTx(ctx, tx, forum.NewReply{
			ThreadID: s.ThreadID, AuthorID: author.ID, ReplyTo: s.ReplyTo,
			BodyMarkdown: body.Markdown, BodyHTML: body.HTML, Status: forum.StatusPublished,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
