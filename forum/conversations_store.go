package forum

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// NewConversation is a conversation to store, its first message through
// the moderation pipeline.
type NewConversation struct {
	Title        string
	AuthorID     int64
	RecipientIDs []int64
	BodyMarkdown string
	BodyHTML     string
	Status       string // MessagePublished or MessageHeld
}

// NewMessage is a message to store in a conversation.
type NewMessage struct {
	ConversationID int64
	AuthorID       int64
	BodyMarkdown   string
	BodyHTML       string
	Status         string
}

const (
	insertConversation = `
INSERT INTO conversations (title, author_id) VALUES ($1, $2) RETURNING id`
	insertParticipants = `
INSERT INTO conversation_participants (conversation_id, member_id, added_by)
SELECT $1, m, $2 FROM unnest($3::bigint[]) m
ON CONFLICT (conversation_id, member_id) DO UPDATE SET left_at = NULL, added_by = EXCLUDED.added_by, joined_at = now()`
	// lockConversationFor locks the conversation (messages take their
	// numbers in turn) and says whether the author takes part.
	lockConversationFor = `
SELECT c.next_number, EXISTS (SELECT 1 FROM conversation_participants p
	WHERE p.conversation_id = c.id AND p.member_id = $2 AND p.left_at IS NULL)
FROM conversations c WHERE c.id = $1 FOR UPDATE OF c`
	insertMessage = `
INSERT INTO conversation_messages (conversation_id, number, author_id, body_markdown, body_html, status)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, conversation_id, number, author_id, body_markdown, body_html, status, created_at`
	advanceConversation = `
UPDATE conversations SET next_number = next_number + 1,
	last_message_at = CASE WHEN $2 = 'published' THEN now() ELSE last_message_at END
WHERE id = $1`
	// The author has read what they wrote.
	authorRead = `
UPDATE conversation_participants SET last_read_number = $3
WHERE conversation_id = $1 AND member_id = $2 AND last_read_number < $3`
)

// CreateConversationTx stores a conversation, its participants (the author
// and the recipients) and its first message, in tx.
func CreateConversationTx(ctx context.Context, tx *sqlx.Tx, nc NewConversation) (*Conversation, *Message, error) {
	var id int64
	if err := tx.GetContext(ctx, &id, insertConversation, nc.Title, nc.AuthorID); err != nil {
		return nil, nil, Internal("storing a conversation", err)
	}
	members := append([]int64{nc.AuthorID}, nc.RecipientIDs...)
	if _, err := tx.ExecContext(ctx, insertParticipants, id, nc.AuthorID, pq.Array(members)); err != nil {
		return nil, nil, Internal("storing a conversation's participants", err)
	}
	msg, err := AddMessageTx(ctx, tx, NewMessage{
		ConversationID: id, AuthorID: nc.AuthorID,
		BodyMarkdown: nc.BodyMarkdown, BodyHTML: nc.BodyHTML, Status: nc.Status,
	})
	if err != nil {
		return nil, nil, err
	}
	var c Conversation
	if err := tx.GetContext(ctx, &c, selectConversationFor, id, nc.AuthorID); err != nil {
		return nil, nil, Internal("reading a new conversation", err)
	}
	return &c, msg, nil
}

// AddMessageTx stores a message in a conversation the author takes part in
// (ENOTFOUND otherwise, as for a conversation one may not read).
func AddMessageTx(ctx context.Context, tx *sqlx.Tx, nm NewMessage) (*Message, error) {
	var next int
	var participant bool
	err := tx.QueryRowxContext(ctx, lockConversationFor, nm.ConversationID, nm.AuthorID).Scan(&next, &participant)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !participant) {
		return nil, Errorf(ENOTFOUND, "conversation.not_found", nil)
	}
	if err != nil {
		return nil, Internal("locking a conversation", err)
	}
	var m Message
	if err := tx.GetContext(ctx, &m, insertMessage, nm.ConversationID, next, nm.AuthorID,
		nm.BodyMarkdown, nm.BodyHTML, nm.Status); err != nil {
		return nil, Internal("storing a message", err)
	}
	if _, err := tx.ExecContext(ctx, advanceConversation, nm.ConversationID, nm.Status); err != nil {
		return nil, Internal("updating a conversation", err)
	}
	if _, err := tx.ExecContext(ctx, authorRead, nm.ConversationID, nm.AuthorID, m.Number); err != nil {
		return nil, Internal("updating a reading state", err)
	}
	return &m, nil
}

// messageHistory takes the member's posting lock (the one posts take,
// migration 0023) and counts, among their messages, what the history rules
// ask: messages in the last minute, conversations started in the last day,
// the same text within the duplicate window, published messages.
const (
	postingLock    = `SELECT pg_advisory_xact_lock(hashtextextended('palabre.posting:' || $1::text, 0))`
	messageHistory = `
SELECT
	CASE WHEN $2 THEN (SELECT count(*)::int FROM conversation_messages
		WHERE author_id = $1 AND created_at > now() - interval '1 minute') END,
	CASE WHEN $3 THEN (SELECT count(*)::int FROM conversations
		WHERE author_id = $1 AND created_at > now() - interval '1 day') END,
	CASE WHEN $4 > 0 THEN EXISTS (SELECT 1 FROM conversation_messages m
		WHERE m.author_id = $1 AND m.created_at > now() - make_interval(mins => $4) AND m.status <> 'removed'
		  AND (m.body_markdown = $5 OR (duplicate_key($5) <> '' AND duplicate_key(m.body_markdown) = duplicate_key($5)))) END,
	CASE WHEN $6 > 0 THEN (SELECT count(*)::int FROM (SELECT 1 FROM conversation_messages
		WHERE author_id = $1 AND status = 'published' LIMIT $6) x) END`
)

// MessageHistoryTx answers q about memberID's messages before one with
// this body, in the transaction that will store it, under the member's
// posting lock: the history rules apply to messages as to posts, counted
// from messages (ThreadLimit counts the conversations started).
func MessageHistoryTx(ctx context.Context, tx *sqlx.Tx, memberID int64, body string, q HistoryQuery) (History, error) {
	var h History
	if _, err := tx.ExecContext(ctx, postingLock, memberID); err != nil {
		return h, Internal("taking the posting lock", err)
	}
	err := tx.QueryRowContext(ctx, messageHistory, memberID, q.PostLimit > 0, q.ThreadLimit > 0,
		max(q.DuplicateMinutes, 0), body, max(q.PublishedLimit, 0)).
		Scan(&h.RecentPosts, &h.RecentThreads, &h.Duplicate, &h.Published)
	if err != nil {
		return h, Internal("reading the member's messaging history", err)
	}
	return h, nil
}

// unanswered counts the members the author wrote to first in the last day
// (conversations they started), with the recipients about to be added,
// who have never written back: a message of theirs in a conversation the
// author takes part in.
const unanswered = `
SELECT count(*) FROM (
	SELECT p.member_id AS id FROM conversations c
	JOIN conversation_participants p ON p.conversation_id = c.id
	WHERE c.author_id = $1 AND c.created_at > now() - interval '1 day' AND p.member_id <> $1
	UNION
	SELECT unnest($2::bigint[])
) r
WHERE NOT EXISTS (
	SELECT 1 FROM conversation_messages m
	JOIN conversation_participants me ON me.conversation_id = m.conversation_id AND me.member_id = $1
	WHERE m.author_id = r.id AND m.status = 'published')`

// CheckUnansweredTx refuses (ERATELIMITED) to let author write first to
// recipients when, with them, more members than their trust level's daily
// limit (Settings.MessagesUnansweredPerDay) were written to in the last
// day without ever writing back: a newcomer cannot send one text to twenty
// people. Staff are exempt. Run under the posting lock (MessageHistoryTx).
func CheckUnansweredTx(ctx context.Context, tx *sqlx.Tx, author *Member, s *Settings, recipients []int64) error {
	limit := s.MessagesUnansweredPerDay[min(max(author.TrustLevel, 0), 4)]
	if author.IsStaff() || limit == 0 {
		return nil
	}
	var n int
	if err := tx.GetContext(ctx, &n, unanswered, author.ID, pq.Array(recipients)); err != nil {
		return Internal("counting unanswered recipients", err)
	}
	if n > limit {
		return Errorf(ERATELIMITED, "conversation.unanswered_limit", map[string]any{"Max": limit}).OnField("recipients")
	}
	return nil
}

// Recipients looks up the members author names to write to, and checks
// that author may start a conversation with them: the trust level and
// the number of recipients the settings allow, and each recipient's
// acceptance (not ignoring the author, accepting their trust level).
// Staff may always write to a member.
func (db *DB) Recipients(ctx context.Context, author *Member, names []string, s *Settings) ([]*Member, error) {
	tl := min(max(author.TrustLevel, 0), 4)
	if !author.IsStaff() && tl == TrustNew && !s.MessagesNewMembersMayStart {
		return nil, Errorf(EFORBIDDEN, "conversation.trust_too_low", nil)
	}
	var out []*Member
	seen := map[int64]bool{}
	for _, name := range names {
		m, err := db.MemberByUsername(ctx, name)
		if err != nil || m.Status != "active" {
			return nil, Errorf(EINVALID, "conversation.recipient_unknown", map[string]any{"Name": name}).OnField("recipients")
		}
		if m.ID == author.ID {
			return nil, Errorf(EINVALID, "conversation.recipient_self", nil).OnField("recipients")
		}
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "conversation.recipients_required", nil).OnField("recipients")
	}
	if limit := s.MessageMaxRecipients[tl]; !author.IsStaff() && len(out) > limit {
		return nil, Errorf(EINVALID, "conversation.too_many_recipients", map[string]any{"Max": limit}).OnField("recipients")
	}
	for _, m := range out {
		if err := db.acceptsMessages(ctx, m, author); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// acceptsFrom says whether recipient $1 accepts a conversation from author
// $2 of trust level $3: not ignored, and allowed by their preferences.
const acceptsFrom = `
SELECT NOT EXISTS (SELECT 1 FROM ignored_members WHERE member_id = $1 AND ignored_id = $2)
	AND coalesce((SELECT NOT staff_only AND min_trust_level <= $3 FROM message_preferences WHERE member_id = $1), true)`

// acceptsMessages refuses a conversation the recipient does not accept
// from author; the author is told only that, not why. Staff are always
// accepted.
func (db *DB) acceptsMessages(ctx context.Context, recipient, author *Member) error {
	if author.IsStaff() {
		return nil
	}
	var ok bool
	if err := db.GetContext(ctx, &ok, acceptsFrom, recipient.ID, author.ID, author.TrustLevel); err != nil {
		return Internal("reading whom a member accepts messages from", err)
	}
	if !ok {
		return Errorf(EFORBIDDEN, "conversation.recipient_refuses", map[string]any{"Name": recipient.Username}).OnField("recipients")
	}
	return nil
}

// LeaveConversation takes the member acting in ctx out of a conversation:
// they no longer read it nor are told of it; their messages stay.
func (db *DB) LeaveConversation(ctx context.Context, id int64) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, `
UPDATE conversation_participants SET left_at = now()
WHERE conversation_id = $1 AND member_id = $2 AND left_at IS NULL`, id, m.ID)
	if err != nil {
		return Internal("leaving a conversation", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Errorf(ENOTFOUND, "conversation.not_found", nil)
	}
	return nil
}

// AddParticipant adds a member to a conversation; only the member who
// started it may, within the same limits as when starting one.
func (db *DB) AddParticipant(ctx context.Context, id int64, name string) (*Conversation, error) {
	author, err := db.RequirePoster(ctx)
	if err != nil {
		return nil, err
	}
	c, err := db.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.Participant {
		return nil, Errorf(ENOTFOUND, "conversation.not_found", nil)
	}
	if !c.IsAuthor(author) {
		return nil, Errorf(EFORBIDDEN, "conversation.add_not_author", nil)
	}
	s, err := db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	added, err := db.Recipients(ctx, author, []string{name}, s)
	if err != nil {
		return nil, err
	}
	if slices.Contains(c.Participants, added[0].Username) {
		return nil, Errorf(ECONFLICT, "conversation.already_participant", map[string]any{"Name": added[0].Username}).OnField("username")
	}
	tl := min(max(author.TrustLevel, 0), 4)
	if limit := s.MessageMaxRecipients[tl]; !author.IsStaff() && len(c.Participants) > limit {
		return nil, Errorf(EINVALID, "conversation.too_many_recipients", map[string]any{"Max": limit}).OnField("username")
	}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, postingLock, author.ID); err != nil {
			return Internal("taking the posting lock", err)
		}
		if err := CheckUnansweredTx(ctx, tx, author, s, []int64{added[0].ID}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, insertParticipants, id, author.ID, pq.Array([]int64{added[0].ID}))
		return Internal("adding a participant", err)
	})
	if err != nil {
		return nil, err
	}
	return db.Conversation(ctx, id)
}

const updateMessageBody = `
UPDATE conversation_messages SET body_markdown = $2, body_html = $3, status = $4, edited_at = now()
WHERE id = $1 AND status <> 'removed'
RETURNING id, conversation_id, number, author_id, body_markdown, body_html, status, created_at, edited_at`

// EditMessageTx stores the new text of a message, checked by the pipeline,
// and its status (held when the rules hold the new text or a moderator has
// not yet decided on the old one). A refused message cannot change.
func EditMessageTx(ctx context.Context, tx *sqlx.Tx, id int64, markdown, html, status string) (*Message, error) {
	var m Message
	if err := tx.GetContext(ctx, &m, updateMessageBody, id, markdown, html, status); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, Errorf(ECONFLICT, "conversation.edit_removed", nil)
		}
		return nil, Internal("editing a message", err)
	}
	return &m, nil
}
