package forum

import (
	"context"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// notifyLike adds a liker to the author's like notification of the post
// and day, creating it with the first like. The row takes a new id (and
// becomes unread again), so that it comes back to the top of the list. A
// member's second like of the same post that day changes nothing.
const notifyLike = `
WITH p AS (
	SELECT p.id, p.thread_id, p.author_id, t.title
	FROM posts p
	JOIN threads t ON t.id = p.thread_id
	JOIN members m ON m.id = p.author_id
	LEFT JOIN watches tw ON tw.member_id = m.id AND tw.thread_id = p.thread_id
	LEFT JOIN watches cw ON cw.member_id = m.id AND cw.category_id = t.category_id
	WHERE p.id = $1 AND p.author_id <> $2 AND p.status = 'published'
		AND (t.status = 'published' OR m.role IN ('moderator', 'admin'))
		AND m.status <> 'deleted' AND m.banned_at IS NULL
		AND coalesce(tw.level, cw.level, 'normal') <> 'muted'
), upserted AS (
	INSERT INTO notifications AS n (member_id, kind, actor_id, thread_id, post_id, data, batch_day)
	SELECT p.author_id, 'like', $2, p.thread_id, p.id, jsonb_build_object('likers', jsonb_build_array($2::bigint)),
		(now() AT TIME ZONE 'UTC')::date
	FROM p
	ON CONFLICT (member_id, post_id, batch_day) WHERE kind = 'like' DO UPDATE
	SET id = DEFAULT, actor_id = EXCLUDED.actor_id, read_at = NULL, created_at = now(),
		data = jsonb_set(n.data, '{likers}', (n.data -> 'likers') || to_jsonb($2::bigint))
	WHERE NOT (n.data -> 'likers') @> to_jsonb($2::bigint)
	RETURNING member_id, post_id, jsonb_array_length(data -> 'likers') AS likers
)
SELECT 'like' AS kind, u.post_id, m.username, m.email, m.locale, coalesce(a.username, '') AS actor, p.title,
	(member_mailable(m) AND m.email_on_like AND u.likers = 1) AS wants_email,
	unsubscribe_path(m.id, m.unsubscribe_key, 'like') AS unsubscribe
FROM upserted u
CROSS JOIN p
JOIN members m ON m.id = u.member_id
LEFT JOIN members a ON a.id = $2`

// NotifyLikeTx tells a post's author that likerID liked it, in the
// transaction of the like. Likes are batched: one notification per post and
// day says "Karim and 3 others liked your post". Nothing happens for a
// like of one's own post, of a post the author can no longer see, or in a
// muted thread.
func NotifyLikeTx(ctx context.Context, tx *sqlx.Tx, postID, likerID int64) error {
	var rows []notified
	if err := tx.SelectContext(ctx, &rows, notifyLike, postID, likerID); err != nil {
		return Internal("notifying a like", err)
	}
	return mailNotificationsTx(ctx, tx, rows)
}

// Outcomes of moderation a member is told about (NotificationData.Action).
const (
	ModerationApproved     = "approved"      // a held post was published
	ModerationRejected     = "rejected"      // a held post was refused
	ModerationHidden       = "hidden"        // a post was hidden
	ModerationDeleted      = "deleted"       // a post was deleted by a moderator
	ModerationRestored     = "restored"      // a hidden post is visible again
	ModerationEdited       = "edited"        // a moderator edited a post
	ModerationThreadLocked = "thread_locked" // a thread was locked
	ModerationWarning      = "warning"       // the member was warned
	ModerationSilence      = "silence"       // the member was silenced
	ModerationSuspension   = "suspension"    // the member was suspended
	ModerationBan          = "ban"           // the member was banned
	ModerationLifted       = "lifted"        // a sanction was lifted
	ModerationReportUpheld = "report_upheld" // a report the member made led to action
	// A report the member made was examined and dismissed.
	ModerationReportDismissed = "report_dismissed"
	// The member's appeal was examined and the sanction stands.
	ModerationAppealRejected = "appeal_rejected"
	// A sanction in force was shortened (ModerationNotice.Until: its new end).
	ModerationShortened = "shortened"
	// The held edit of a published post was approved and published.
	ModerationEditApproved = "edit_approved"
	// The held edit of a published post was refused: the published version stays.
	ModerationEditRejected = "edit_rejected"
)

// ModerationActions lists every outcome, for the catalogues' checks.
var ModerationActions = []string{ModerationApproved, ModerationRejected, ModerationHidden, ModerationDeleted,
	ModerationRestored, ModerationEdited, ModerationThreadLocked, ModerationWarning, ModerationSilence,
	ModerationSuspension, ModerationBan, ModerationLifted, ModerationReportUpheld, ModerationReportDismissed,
	ModerationAppealRejected, ModerationShortened, ModerationEditApproved, ModerationEditRejected}

// ModerationNotice is what a member is told about a moderation outcome.
type ModerationNotice struct {
	Action   string // one of the Moderation* outcomes
	Reason   string // shown to the member, as the moderator wrote it
	ThreadID *int64 // the thread concerned, if any
	PostID   *int64 // the post concerned, if any
	// Sanctions: the kind of sanction, its end (nil for warnings and
	// bans), and the link to the notice page that a suspended or banned
	// member, who cannot log in, reads and appeals from.
	Kind        string
	Until       *time.Time
	NoticeToken string
}

// sanctionMailActions are the outcomes told by the sanction mail, which
// says what was decided, until when, why, and how to appeal.
var sanctionMailActions = []string{ModerationWarning, ModerationSilence, ModerationSuspension, ModerationBan,
	ModerationLifted, ModerationShortened}

const insertModerationNotification = `
WITH inserted AS (
	INSERT INTO notifications (member_id, kind, thread_id, post_id, data)
	SELECT id, 'moderation', $2, $3, $4 FROM members WHERE id = $1 AND status <> 'deleted'
	RETURNING member_id, post_id, thread_id
)
SELECT 'moderation' AS kind, i.post_id, m.username, m.email, m.locale, '' AS actor,
	coalesce(t.title, '') AS title, member_mailable(m) AND m.email_on_moderation AS wants_email,
	unsubscribe_path(m.id, m.unsubscribe_key, 'moderation') AS unsubscribe
FROM inserted i
JOIN members m ON m.id = i.member_id
LEFT JOIN threads t ON t.id = i.thread_id`

// NotifyModerationTx tells a member about a moderation outcome on their
// content or account, in the transaction of the decision. Muting never
// silences these. The moderator stays anonymous.
func NotifyModerationTx(ctx context.Context, tx *sqlx.Tx, memberID int64, n ModerationNotice) error {
	if !slices.Contains(ModerationActions, n.Action) {
		return Internal("notifying a moderation outcome", errUnknownAction(n.Action))
	}
	data, _ := jsonArg(NotificationData{Action: n.Action, Reason: n.Reason, Kind: n.Kind, Until: n.Until})
	var rows []notified
	if err := tx.SelectContext(ctx, &rows, insertModerationNotification, memberID, n.ThreadID, n.PostID, data); err != nil {
		return Internal("notifying a moderation outcome", err)
	}
	for i := range rows {
		rows[i].Extra = map[string]string{"Action": n.Action, "Reason": n.Reason}
		if slices.Contains(sanctionMailActions, n.Action) {
			rows[i].Kind = "sanction"
			rows[i].Extra["Sanction"] = n.Kind
			if n.Until != nil {
				rows[i].Extra["Until"] = FormatSanctionDate(*n.Until)
			}
			if n.NoticeToken != "" {
				rows[i].Extra["Token"] = n.NoticeToken
			}
		}
	}
	return mailNotificationsTx(ctx, tx, rows)
}

type errUnknownAction string

func (e errUnknownAction) Error() string { return "unknown moderation action " + string(e) }
