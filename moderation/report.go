package moderation

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// Reasons a member may give for a report.
const (
	ReportSpam          = "spam"
	ReportInappropriate = "inappropriate"
	ReportOffTopic      = "off_topic"
	ReportIllegal       = "illegal"
	ReportGuideline     = "guideline" // with the rule it breaks
	ReportOther         = "other"     // with a note
)

// ReportReasons lists the reasons, in the order forms show them.
var ReportReasons = []string{ReportSpam, ReportInappropriate, ReportOffTopic, ReportIllegal, ReportGuideline, ReportOther}

// Outcomes of a report, once its item is resolved.
const (
	ReportAgreed    = "agreed"
	ReportDismissed = "dismissed"
)

// reportNoteLimits bound the note of a report.
var reportNoteLimits = TextLimits{MinRunes: 0, MaxRunes: 1000}

// Report is one member's report of a post or a member.
type Report struct {
	ID           int64  `db:"id" json:"id"`
	ReviewItemID int64  `db:"review_item_id" json:"review_item_id"`
	ReporterID   int64  `db:"reporter_id" json:"-"`
	ReporterName string `db:"reporter_name" json:"reporter"`
	PostID       *int64 `db:"post_id" json:"post_id,omitempty"`
	MemberID     *int64 `db:"member_id" json:"member_id,omitempty"`
	MessageID    *int64 `db:"message_id" json:"message_id,omitempty"`
	// UploadID: one upload of the post (an image, an attachment) is
	// reported, not the post; UploadURL is its address.
	UploadID   *int64    `db:"upload_id" json:"upload_id,omitempty"`
	UploadURL  *string   `db:"upload_url" json:"upload_url,omitempty"`
	UploadKind *string   `db:"upload_kind" json:"-"`
	Reason     string    `db:"reason" json:"reason"`
	RuleID     *int64    `db:"rule_id" json:"rule_id,omitempty"`
	RuleName   *string   `db:"rule_name" json:"rule_name,omitempty"`
	Note       string    `db:"note" json:"note,omitempty"`
	Weight     float64   `db:"weight" json:"weight"`
	Outcome    string    `db:"outcome" json:"outcome"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// UploadHref is the address of the upload reported, "" for none.
func (r Report) UploadHref() string {
	if r.UploadURL == nil {
		return ""
	}
	return *r.UploadURL
}

// UploadImage reports whether the upload reported is an image, shown to
// moderators as it is.
func (r Report) UploadImage() bool {
	return r.UploadKind != nil && (*r.UploadKind == forum.UploadImage || *r.UploadKind == forum.UploadAvatar)
}

// ReportInput is a report as a member typed it: the target is a post or a
// member.
type ReportInput struct {
	PostID   int64
	MemberID int64
	// MessageID: a private message, reported as its author is (MemberID);
	// the report opens its conversation to the staff.
	MessageID int64
	// UploadID: an upload of the post (PostID) is reported, not the post.
	UploadID int64
	Reason   string
	RuleID   *int64
	Note     string
}

// validate checks the reason, its rule or note, and cleans the note.
func (p *Pipeline) validateReport(ctx context.Context, in *ReportInput) error {
	if !slices.Contains(ReportReasons, in.Reason) {
		return forum.Errorf(forum.EINVALID, "report.reason_invalid", nil).OnField("reason")
	}
	note, err := Normalize(in.Note, "note", reportNoteLimits)
	if err != nil {
		return err
	}
	// A report note is read by moderators only, but it is still a text a
	// member wrote: the watched words apply.
	if note, err = p.ScreenText(ctx, "note", note); err != nil {
		return err
	}
	in.Note = note
	switch in.Reason {
	case ReportGuideline:
		if in.RuleID == nil {
			return forum.Errorf(forum.EINVALID, "report.rule_required", nil).OnField("rule_id")
		}
		var ok bool
		if err := p.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM rules WHERE id = $1 AND enabled)`, *in.RuleID); err != nil {
			return forum.Internal("reading a rule", err)
		}
		if !ok {
			return forum.Errorf(forum.EINVALID, "report.rule_unknown", nil).OnField("rule_id")
		}
	case ReportOther:
		if in.Note == "" {
			return forum.Errorf(forum.EINVALID, "report.note_required", nil).OnField("note")
		}
		in.RuleID = nil
	default:
		in.RuleID = nil
	}
	return nil
}

// mayReport checks the reporter against the settings: trust level and
// daily limit (staff are exempt), and a silenced member may not report.
func (p *Pipeline) mayReport(ctx context.Context, reporter *forum.Member, s *forum.Settings) error {
	if reporter.IsSilenced(time.Now()) {
		return forum.Errorf(forum.EFORBIDDEN, "report.silenced", nil)
	}
	if reporter.IsStaff() {
		return nil
	}
	if reporter.TrustLevel < s.ReportMinTrustLevel {
		return forum.Errorf(forum.EFORBIDDEN, "report.trust_too_low", map[string]any{"Min": s.ReportMinTrustLevel})
	}
	var today int
	if err := p.db.GetContext(ctx, &today, `SELECT count(*) FROM reports WHERE reporter_id = $1 AND created_at > now() - interval '1 day'`, reporter.ID); err != nil {
		return forum.Internal("counting reports", err)
	}
	if today >= s.ReportsPerDay {
		return forum.Errorf(forum.ERATELIMITED, "report.daily_limit", map[string]any{"Max": s.ReportsPerDay})
	}
	return nil
}

// ReportPost reports a post the member can see (not their own). The report
// joins the post's open review item, or opens one; when the item's score
// reaches the hiding threshold the post is hidden pending review and its
// author told, in the same transaction.
func (p *Pipeline) ReportPost(ctx context.Context, in ReportInput) (*Report, error) {
	reporter, err := forum.RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	post, thread, err := p.db.PostByID(ctx, in.PostID)
	if err != nil {
		return nil, err
	}
	if post.AuthorID != nil && *post.AuthorID == reporter.ID {
		return nil, forum.Errorf(forum.EFORBIDDEN, "report.own_post", nil)
	}
	if post.Status == forum.StatusDeleted {
		return nil, forum.Errorf(forum.ECONFLICT, "report.post_deleted", nil)
	}
	in.MemberID, in.MessageID, in.UploadID = 0, 0, 0
	return p.report(ctx, reporter, in, thread.ID)
}

const postShowingUpload = `
SELECT pu.post_id FROM post_uploads pu JOIN posts p ON p.id = pu.post_id JOIN threads t ON t.id = p.thread_id
WHERE pu.upload_id = $1 AND ($2 = 0 OR pu.post_id = $2) AND p.status = 'published' AND t.status = 'published'
ORDER BY pu.post_id LIMIT 1`

// ReportUpload reports one upload (an image, an attachment) that a post
// the member can see shows: the post of in.PostID, or, without one, the
// first published post showing it. The report joins that post's review
// item, where moderators see the upload and may remove it alone.
func (p *Pipeline) ReportUpload(ctx context.Context, in ReportInput) (*Report, error) {
	reporter, err := forum.RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	var postID int64
	if err := p.db.GetContext(ctx, &postID, postShowingUpload, in.UploadID, in.PostID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, forum.Errorf(forum.ENOTFOUND, "uploads.not_found", nil)
		}
		return nil, forum.Internal("finding an upload's post", err)
	}
	post, thread, err := p.db.PostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	if post.AuthorID != nil && *post.AuthorID == reporter.ID {
		return nil, forum.Errorf(forum.EFORBIDDEN, "report.own_post", nil)
	}
	in.PostID, in.MemberID, in.MessageID = postID, 0, 0
	return p.report(ctx, reporter, in, thread.ID)
}

// ReportMember reports a member (not oneself) to the moderators.
func (p *Pipeline) ReportMember(ctx context.Context, in ReportInput) (*Report, error) {
	reporter, err := forum.RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	target, err := p.db.MemberByID(ctx, in.MemberID)
	if err != nil || target.Status == "deleted" {
		return nil, forum.Errorf(forum.ENOTFOUND, "member.not_found", nil)
	}
	if target.ID == reporter.ID {
		return nil, forum.Errorf(forum.EFORBIDDEN, "report.self", nil)
	}
	in.PostID, in.MessageID = 0, 0
	return p.report(ctx, reporter, in, 0)
}

// ReportMessage reports a private message of someone else in a
// conversation the member takes part in: a report of its author that names
// the message, which opens that conversation (only) to the staff.
func (p *Pipeline) ReportMessage(ctx context.Context, in ReportInput) (*Report, error) {
	reporter, err := forum.RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	msg, conv, err := p.db.MessageByID(ctx, in.MessageID)
	if err != nil {
		return nil, err
	}
	if !conv.Participant {
		return nil, forum.Errorf(forum.ENOTFOUND, "conversation.message_not_found", nil)
	}
	if msg.IsAuthor(reporter) {
		return nil, forum.Errorf(forum.EFORBIDDEN, "report.own_message", nil)
	}
	if msg.AuthorID == nil || msg.Status != forum.MessagePublished {
		return nil, forum.Errorf(forum.ECONFLICT, "report.message_gone", nil)
	}
	in.PostID, in.MemberID = 0, *msg.AuthorID
	return p.report(ctx, reporter, in, 0)
}

const (
	reporterAccuracy = `
SELECT count(*) FILTER (WHERE outcome = 'agreed') AS agreed, count(*) FILTER (WHERE outcome = 'dismissed') AS dismissed
FROM reports WHERE reporter_id = $1`
	upsertReportedPost = `
INSERT INTO review_items (kind, post_id, score) VALUES ('reported', $1, $2)
ON CONFLICT (post_id) WHERE status = 'pending' AND post_id IS NOT NULL
DO UPDATE SET score = review_items.score + EXCLUDED.score, version = review_items.version + 1
RETURNING id, score`
	upsertReportedMember = `
INSERT INTO review_items (kind, member_id, score) VALUES ('reported', $1, $2)
ON CONFLICT (member_id) WHERE status = 'pending' AND member_id IS NOT NULL AND kind <> 'appeal'
DO UPDATE SET score = review_items.score + EXCLUDED.score, version = review_items.version + 1
RETURNING id, score`
	insertReport = `
INSERT INTO reports (reporter_id, post_id, member_id, review_item_id, reason, rule_id, note, weight, message_id, upload_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id, review_item_id, reporter_id, post_id, member_id, message_id, upload_id, reason, rule_id, note, weight, outcome, created_at`
)

// ReportWeight is what one report weighs: the reporter's trust level's
// weight times their accuracy, (agreed+1)/(agreed+dismissed+2)×2 bounded to
// [0.25, 2]: a newcomer's accuracy counts 1, a reliable reporter's up to 2,
// a reporter whose reports are dismissed down to a quarter.
func ReportWeight(s *forum.Settings, reporter *forum.Member, agreed, dismissed int) float64 {
	tl := trustIndex(reporter.TrustLevel)
	if reporter.IsStaff() {
		tl = forum.TrustLeader
	}
	accuracy := float64(agreed+1) / float64(agreed+dismissed+2) * 2
	return s.ReportWeights[tl] * min(max(accuracy, 0.25), 2)
}

func (p *Pipeline) report(ctx context.Context, reporter *forum.Member, in ReportInput, threadID int64) (*Report, error) {
	if err := p.validateReport(ctx, &in); err != nil {
		return nil, err
	}
	settings, err := p.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.mayReport(ctx, reporter, settings); err != nil {
		return nil, err
	}
	var acc struct {
		Agreed    int `db:"agreed"`
		Dismissed int `db:"dismissed"`
	}
	if err := p.db.GetContext(ctx, &acc, reporterAccuracy, reporter.ID); err != nil {
		return nil, forum.Internal("reading a reporter's accuracy", err)
	}
	weight := ReportWeight(settings, reporter, acc.Agreed, acc.Dismissed)
	var out Report
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var item struct {
			ID    int64   `db:"id"`
			Score float64 `db:"score"`
		}
		var postID, memberID *int64
		if in.PostID != 0 {
			// The thread first, then the item: the order of every writer.
			if _, err := tx.ExecContext(ctx, `SELECT id FROM threads WHERE id = $1 FOR UPDATE`, threadID); err != nil {
				return forum.Internal("locking a thread", err)
			}
			postID = &in.PostID
			err = tx.GetContext(ctx, &item, upsertReportedPost, in.PostID, weight)
		} else {
			memberID = &in.MemberID
			err = tx.GetContext(ctx, &item, upsertReportedMember, in.MemberID, weight)
		}
		if err != nil {
			return forum.Internal("queueing a report", err)
		}
		var messageID, uploadID *int64
		if in.MessageID != 0 {
			messageID = &in.MessageID
		}
		if in.UploadID != 0 {
			uploadID = &in.UploadID
		}
		err := tx.GetContext(ctx, &out, insertReport, reporter.ID, postID, memberID, item.ID, in.Reason, in.RuleID, in.Note, weight, messageID, uploadID)
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return forum.Errorf(forum.ECONFLICT, "report.already_reported", nil)
		}
		if err != nil {
			return forum.Internal("recording a report", err)
		}
		out.ReporterName = reporter.Username
		if postID != nil && settings.ReportHideThreshold > 0 && item.Score >= settings.ReportHideThreshold {
			return p.hideReportedTx(ctx, tx, *postID, item.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// hideReportedTx hides a published post whose reports passed the
// threshold, pending review, and tells its author (the system decides: the
// reporters stay anonymous).
func (p *Pipeline) hideReportedTx(ctx context.Context, tx *sqlx.Tx, postID, itemID int64) error {
	var post struct {
		Status   string `db:"status"`
		AuthorID *int64 `db:"author_id"`
		ThreadID int64  `db:"thread_id"`
	}
	if err := tx.GetContext(ctx, &post, `SELECT status, author_id, thread_id FROM posts WHERE id = $1 FOR UPDATE`, postID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return forum.Errorf(forum.ENOTFOUND, "post.not_found", nil)
		}
		return forum.Internal("reading a reported post", err)
	}
	if post.Status != forum.StatusPublished {
		return nil
	}
	sys := forum.WithSystem(ctx)
	if err := forum.SetPostStatusTx(sys, tx, postID, forum.StatusHidden); err != nil {
		return err
	}
	var rules []string
	if err := tx.SelectContext(ctx, &rules, `
SELECT DISTINCT ru.name FROM reports r JOIN rules ru ON ru.id = r.rule_id
WHERE r.review_item_id = $1 ORDER BY ru.name`, itemID); err != nil {
		return forum.Internal("reading the rules reported", err)
	}
	reason := joinNames(rules)
	if err := forum.LogTx(sys, tx, forum.LogEntry{
		Action: forum.LogPostAutoHide, TargetType: "post", TargetID: &postID, Reason: reason,
		Before: map[string]any{"status": post.Status}, After: map[string]any{"status": forum.StatusHidden, "review_item": itemID},
	}); err != nil {
		return err
	}
	return notifyTx(ctx, tx, post.AuthorID, forum.ModerationHidden, reason, &post.ThreadID, &postID)
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
