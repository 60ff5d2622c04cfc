package moderation

import (
	"context"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// ConversationSubmission is a new conversation as a member typed it.
type ConversationSubmission struct {
	Recipients []string
	Title      string
	Body       string
}

// MessageSubmission is a message in a conversation as a member typed it.
type MessageSubmission struct {
	ConversationID int64
	Body           string
}

// MessageSubmitted is the outcome of a message that was stored.
type MessageSubmitted struct {
	Conversation *forum.Conversation
	Message      *forum.Message
	// Verdict says why the message is held (Message.Status "held") or
	// censored: Verdict.Deciding() are the reasons to show its author.
	Verdict *Verdict
}

// StartConversation runs the first message of a conversation through the
// pipeline (the text rules, then the history rules counted on messages)
// and stores the conversation with its recipients: who may start one, with
// how many and which members, Recipients checks; members who never wrote
// back are limited (forum.CheckUnansweredTx).
func (p *Pipeline) StartConversation(ctx context.Context, s ConversationSubmission) (*MessageSubmitted, error) {
	out, err := p.startConversation(ctx, s)
	return observed(p, out, err)
}

func (p *Pipeline) startConversation(ctx context.Context, s ConversationSubmission) (*MessageSubmitted, error) {
	author, err := p.db.RequirePoster(ctx)
	if err != nil {
		return nil, err
	}
	settings, err := p.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	recipients, err := p.db.Recipients(ctx, author, s.Recipients, settings)
	if err != nil {
		return nil, err
	}
	c, err := p.check(ctx, author, &s.Title, s.Body)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(recipients))
	for i, r := range recipients {
		ids[i] = r.ID
	}
	out := &MessageSubmitted{Verdict: &c.Verdict}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := c.messageHistoryTx(ctx, tx, true); err != nil {
			return err
		}
		if err := forum.CheckUnansweredTx(ctx, tx, author, settings, ids); err != nil {
			return err
		}
		var err error
		out.Conversation, out.Message, err = forum.CreateConversationTx(ctx, tx, forum.NewConversation{
			Title: c.Title, AuthorID: author.ID, RecipientIDs: ids,
			BodyMarkdown: c.Prepared.Markdown, BodyHTML: c.Prepared.HTML, Status: c.Verdict.Status(),
		})
		if err != nil {
			return err
		}
		return recordMessageVerdictTx(ctx, tx, out.Message, &c.Verdict)
	})
	if err != nil {
		return nil, err
	}
	p.db.NotifyMessage(ctx, out.Message)
	return out, nil
}

// SubmitMessage runs a message through the pipeline and stores it in a
// conversation its author takes part in.
func (p *Pipeline) SubmitMessage(ctx context.Context, s MessageSubmission) (*MessageSubmitted, error) {
	out, err := p.submitMessage(ctx, s)
	return observed(p, out, err)
}

func (p *Pipeline) submitMessage(ctx context.Context, s MessageSubmission) (*MessageSubmitted, error) {
	author, err := p.db.RequirePoster(ctx)
	if err != nil {
		return nil, err
	}
	conv, err := p.db.Conversation(ctx, s.ConversationID)
	if err != nil {
		return nil, err
	}
	if !conv.Participant {
		// Staff reading a reported conversation do not write in it.
		return nil, forum.Errorf(forum.ENOTFOUND, "conversation.not_found", nil)
	}
	c, err := p.check(ctx, author, nil, s.Body)
	if err != nil {
		return nil, err
	}
	out := &MessageSubmitted{Conversation: conv, Verdict: &c.Verdict}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := c.messageHistoryTx(ctx, tx, false); err != nil {
			return err
		}
		var err error
		out.Message, err = forum.AddMessageTx(ctx, tx, forum.NewMessage{
			ConversationID: conv.ID, AuthorID: author.ID,
			BodyMarkdown: c.Prepared.Markdown, BodyHTML: c.Prepared.HTML, Status: c.Verdict.Status(),
		})
		if err != nil {
			return err
		}
		return recordMessageVerdictTx(ctx, tx, out.Message, &c.Verdict)
	})
	if err != nil {
		return nil, err
	}
	p.db.NotifyMessage(ctx, out.Message)
	return out, nil
}

// messageHistoryTx completes the verdict of a message, in the transaction
// that stores it, with the rules that count the author's previous messages
// (rate, duplicates, new members), as historyTx does for a thread.
func (c *checked) messageHistoryTx(ctx context.Context, tx *sqlx.Tx, newConversation bool) error {
	q, ask := c.rules.historyQuery(historyDraft{
		Author: c.author, Settings: c.settings, Markdown: c.Prepared.Markdown, NewThread: newConversation,
	})
	if !ask {
		return nil
	}
	h, err := forum.MessageHistoryTx(ctx, tx, c.author.ID, c.Prepared.Markdown, q)
	if err != nil {
		return err
	}
	if hv := c.rules.historyVerdict(q, h); len(hv.Reasons) > 0 {
		c.Verdict.merge(hv)
	}
	return c.Verdict.Err()
}

// A held or flagged message is a review item about its author, as a
// reported member is (the review queue's items name a post or a member);
// the item's reasons say which message, and a held message points to its
// item, so that the decision on the item settles it (settleHeldMessages).
const (
	upsertMessageReviewItem = `
INSERT INTO review_items (kind, member_id, reasons)
VALUES ($1, $2, $3)
ON CONFLICT (member_id) WHERE status = 'pending' AND member_id IS NOT NULL AND kind <> 'appeal'
DO UPDATE SET
	kind = CASE WHEN EXCLUDED.kind = 'held' THEN 'held' ELSE review_items.kind END,
	reasons = review_items.reasons || EXCLUDED.reasons,
	version = review_items.version + 1
RETURNING id`
	linkHeldMessage = `UPDATE conversation_messages SET review_item_id = $2 WHERE id = $1`
)

// recordMessageVerdictTx stores what a verdict asks of the moderators
// beside a message just stored: a review item for a held or flagged
// message and a line of the moderation log written by the system.
func recordMessageVerdictTx(ctx context.Context, tx *sqlx.Tx, msg *forum.Message, v *Verdict) error {
	kind, _ := v.record()
	if kind == "" || msg.AuthorID == nil {
		return nil
	}
	action := forum.LogMessageFlag
	if kind == ReviewHeld {
		action = forum.LogMessageHold
	}
	reasons := make([]Reason, len(v.Reasons))
	for i, r := range v.Reasons {
		r.Args = cloneArgs(r.Args)
		r.Args["MessageID"] = msg.ID
		reasons[i] = r
	}
	enc, err := forum.JSONArg(reasons)
	if err != nil {
		return forum.Internal("encoding the reasons of a verdict", err)
	}
	var itemID int64
	if err := tx.GetContext(ctx, &itemID, upsertMessageReviewItem, kind, *msg.AuthorID, enc); err != nil {
		return forum.Internal("queueing a message for review", err)
	}
	if kind == ReviewHeld {
		if _, err := tx.ExecContext(ctx, linkHeldMessage, msg.ID, itemID); err != nil {
			return forum.Internal("linking a held message to its review item", err)
		}
	}
	names := make([]string, 0, len(v.Reasons))
	for _, r := range v.Reasons {
		if !slices.Contains(names, r.Rule.Name) {
			names = append(names, r.Rule.Name)
		}
	}
	return forum.LogTx(forum.WithSystem(ctx), tx, forum.LogEntry{
		Action: action, TargetType: "message", TargetID: &msg.ID,
		Reason: strings.Join(names, ", "),
		After:  map[string]any{"outcome": v.Outcome, "review_item": itemID, "conversation_id": msg.ConversationID},
	})
}

func cloneArgs(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// settleHeldMessages delivers the messages held with an item a moderator
// approved, and refuses them on any other decision, each written to the
// log.
func (r *resolution) settleHeldMessages(ctx context.Context, tx *sqlx.Tx) ([]*forum.Message, error) {
	status, action := forum.MessageRemoved, forum.LogMessageReject
	if r.d.Action == ActApprove {
		status, action = forum.MessagePublished, forum.LogMessageApprove
	}
	ids, err := forum.SettleHeldMessagesTx(ctx, tx, r.it.ID, status)
	if err != nil {
		return nil, err
	}
	var delivered []*forum.Message
	for _, id := range ids {
		if err := forum.LogTx(ctx, tx, forum.LogEntry{
			Action: action, TargetType: "message", TargetID: &id, Reason: r.reason,
			Before: map[string]any{"status": forum.MessageHeld}, After: map[string]any{"status": status},
		}); err != nil {
			return nil, err
		}
		if status == forum.MessagePublished {
			delivered = append(delivered, &forum.Message{ID: id})
		}
	}
	return delivered, nil
}

// EditMessage runs the new text of a message through the pipeline again,
// as a post's edit: refused, nothing changes; held, the message waits for
// a moderator again (its author sees it, the others no longer do). Only its
// author, still in the conversation, edits it.
func (p *Pipeline) EditMessage(ctx context.Context, id int64, body string) (*MessageSubmitted, error) {
	author, err := p.db.RequirePoster(ctx)
	if err != nil {
		return nil, err
	}
	msg, conv, err := p.db.MessageByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !conv.Participant || !msg.IsAuthor(author) {
		return nil, forum.Errorf(forum.EFORBIDDEN, "conversation.edit_forbidden", nil)
	}
	if msg.Status == forum.MessageRemoved {
		return nil, forum.Errorf(forum.ECONFLICT, "conversation.edit_removed", nil)
	}
	c, err := p.check(ctx, author, nil, body)
	if err != nil {
		return nil, err
	}
	status := c.Verdict.Status()
	if msg.Status == forum.MessageHeld {
		status = forum.MessageHeld // the moderators have not decided yet
	}
	out := &MessageSubmitted{Conversation: conv, Verdict: &c.Verdict}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if out.Message, err = forum.EditMessageTx(ctx, tx, id, c.Prepared.Markdown, c.Prepared.HTML, status); err != nil {
			return err
		}
		return recordMessageVerdictTx(ctx, tx, out.Message, &c.Verdict)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
