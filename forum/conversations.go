package forum

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// MessagesPerPage is the number of messages on a page of a conversation.
const MessagesPerPage = 30

// ConversationsPerPage is the number of conversations a list shows.
const ConversationsPerPage = 50

// Statuses of a message. A held message waits for a moderator: only its
// author sees it, with why; a removed one was refused by a moderator.
const (
	MessagePublished = "published"
	MessageHeld      = "held"
	MessageRemoved   = "removed"
)

// Conversation is a private exchange between members. Only its
// participants read it; the staff, only once a participant reported one of
// its messages (Reported), each reading written to the moderation log.
type Conversation struct {
	ID            int64          `db:"id" json:"id"`
	Title         string         `db:"title" json:"title"`
	AuthorID      *int64         `db:"author_id" json:"author_id,omitempty"`
	AuthorName    string         `db:"author_name" json:"author"`
	CreatedAt     time.Time      `db:"created_at" json:"created_at"`
	LastMessageAt time.Time      `db:"last_message_at" json:"last_message_at"`
	Participants  pq.StringArray `db:"participants" json:"participants"`
	// Unread is how many published messages of others the reader has not
	// read; LastRead the number of the last message they read.
	Unread   int `db:"unread" json:"unread"`
	LastRead int `db:"last_read_number" json:"-"`
	// Participant: the reader takes part (has not left); Reported: the
	// staff may read it because a participant reported one of its messages.
	Participant bool `db:"participant" json:"-"`
	Reported    bool `db:"reported" json:"-"`
}

// Names are the participants' names, for a sentence.
func (c *Conversation) Names() string { return strings.Join(c.Participants, ", ") }

// IsAuthor reports whether the member started the conversation.
func (c *Conversation) IsAuthor(m *Member) bool {
	return m != nil && c.AuthorID != nil && *c.AuthorID == m.ID
}

// Message is one message of a conversation.
type Message struct {
	ID             int64     `db:"id" json:"id"`
	ConversationID int64     `db:"conversation_id" json:"conversation_id"`
	Number         int       `db:"number" json:"number"`
	AuthorID       *int64    `db:"author_id" json:"-"`
	AuthorName     string    `db:"author_name" json:"-"`
	AuthorDeleted  bool      `db:"author_deleted" json:"-"`
	BodyMarkdown   string    `db:"body_markdown" json:"-"`
	BodyHTML       string    `db:"body_html" json:"html"`
	Status         string    `db:"status" json:"status"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`
	// EditedAt is when its author last changed it (nil: never).
	EditedAt *time.Time `db:"edited_at" json:"edited_at,omitempty"`
	// LikeCount and Liked (by the reader) are read with a conversation's
	// pages (Messages).
	LikeCount int  `db:"like_count" json:"like_count"`
	Liked     bool `db:"liked" json:"liked"`
}

// MessageAuthor is how a message's author is shown: a deleted member is
// a former member, without a name.
type MessageAuthor struct {
	ID       int64  `json:"id,omitempty"`
	Username string `json:"username,omitempty"`
	Former   bool   `json:"former_member,omitempty"`
}

// Author returns the message's author as shown.
func (m *Message) Author() MessageAuthor {
	if m.AuthorID == nil || m.AuthorDeleted {
		return MessageAuthor{Former: true}
	}
	return MessageAuthor{ID: *m.AuthorID, Username: m.AuthorName}
}

// IsAuthor reports whether the member wrote the message.
func (m *Message) IsAuthor(who *Member) bool {
	return who != nil && m.AuthorID != nil && *m.AuthorID == who.ID
}

// MessagePage is one page of a conversation's messages, in number order.
type MessagePage struct {
	Messages []Message
	Next     int // number to continue after, 0 on the last page
	// MarkedRead: reading the page moved the reader's reading state (the
	// unread count read with their credentials is stale).
	MarkedRead bool
}

const conversationColumns = `
	c.id, c.title, c.author_id, coalesce(a.username, '') AS author_name, c.created_at, c.last_message_at,
	ARRAY(SELECT m.username FROM conversation_participants cp JOIN members m ON m.id = cp.member_id
	      WHERE cp.conversation_id = c.id AND cp.left_at IS NULL AND m.status <> 'deleted'
	      ORDER BY cp.joined_at, m.id) AS participants`

// selectConversationFor reads a conversation and what the reader $2 may do
// with it: whether they take part, and whether a participant reported one
// of its messages.
const selectConversationFor = `
SELECT` + conversationColumns + `,
	(p.member_id IS NOT NULL) AS participant, coalesce(p.last_read_number, 0) AS last_read_number,
	EXISTS (SELECT 1 FROM reports r JOIN conversation_messages rm ON rm.id = r.message_id
	        WHERE rm.conversation_id = c.id) AS reported,
	0 AS unread
FROM conversations c
LEFT JOIN members a ON a.id = c.author_id
LEFT JOIN conversation_participants p ON p.conversation_id = c.id AND p.member_id = $2 AND p.left_at IS NULL
WHERE c.id = $1`

// Conversation returns a conversation the actor of ctx may read: a
// participant, or staff once a participant reported one of its messages
// (the reading is then written to the moderation log). Anyone else,
// staff included, gets ENOTFOUND, as if it did not exist.
func (db *DB) Conversation(ctx context.Context, id int64) (*Conversation, error) {
	a := ActorFrom(ctx)
	if a.Member == nil && !a.System {
		return nil, Errorf(ENOTFOUND, "conversation.not_found", nil)
	}
	var c Conversation
	if err := db.GetContext(ctx, &c, selectConversationFor, id, a.viewerID()); err != nil {
		return nil, notFound(err, "conversation.not_found", "reading a conversation")
	}
	switch {
	case c.Participant || a.System:
		return &c, nil
	case a.Member.IsStaff() && c.Reported:
		err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			return LogTx(ctx, tx, LogEntry{
				// Not the title: the log may be public (/transparency).
				Action: LogConversationRead, TargetType: "conversation", TargetID: &c.ID,
			})
		})
		if err != nil {
			return nil, err
		}
		return &c, nil
	}
	return nil, Errorf(ENOTFOUND, "conversation.not_found", nil)
}

// selectConversations lists the reader's conversations, the latest
// activity first, with how many messages of others they have not read.
const selectConversations = `
SELECT` + conversationColumns + `, true AS participant, p.last_read_number, false AS reported,
	(SELECT count(*) FROM conversation_messages m
	 WHERE m.conversation_id = c.id AND m.number > p.last_read_number AND m.status = 'published'
	   AND m.author_id IS DISTINCT FROM p.member_id) AS unread
FROM conversation_participants p
JOIN conversations c ON c.id = p.conversation_id
LEFT JOIN members a ON a.id = c.author_id
WHERE p.member_id = $1 AND p.left_at IS NULL
ORDER BY c.last_message_at DESC, c.id DESC
LIMIT $2`

// Conversations lists the conversations of the member acting in ctx; with
// a query, those where a message they may read (its first one holding the
// title) matches its words as a search with in:messages matches them: the
// same vectors and match (search.go), words, "phrases" and -exclusion, in
// the language each message was indexed in. Their own conversations only:
// public search never reads messages.
func (db *DB) Conversations(ctx context.Context, query ...string) ([]Conversation, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	q := ""
	if len(query) > 0 {
		q = strings.TrimSpace(query[0])
	}
	if !validSearchText(q) {
		return nil, Errorf(EINVALID, "search.text_invalid", nil).OnField("q")
	}
	if err := checkSearchLength(q); err != nil {
		return nil, err
	}
	out := []Conversation{}
	if q == "" {
		err = db.SelectContext(ctx, &out, selectConversations, m.ID, ConversationsPerPage)
	} else {
		err = db.SelectContext(ctx, &out, searchConversations, m.ID, ConversationsPerPage, q, prefixQuery(q))
	}
	if err != nil {
		return nil, Internal("listing conversations", err)
	}
	return out, nil
}

// searchConversations is selectConversations for the conversations where
// a message the reader $1 may read matches the words $3: the search's
// match and visibility (searchMatch, messageVisibleToP9), their parameters
// renumbered, the messages aliased p inside the subquery as in search.go;
// or, the list's box being typed into as a filter, where it holds words
// beginning with them ($4, prefixQuery). The title, which the list shows
// every participant, is matched even when the first message, whose vector
// holds it (weight A), is held: its words only, not the message's.
var searchConversations = func() string {
	match := `(` + strings.ReplaceAll(searchMatch, "$1", "$3") + `
	       OR $4 <> '' AND ` + strings.NewReplacer("websearch_to_tsquery", "to_tsquery", "$1", "$4").Replace(searchMatch) + `)`
	inTitle := strings.ReplaceAll(match, "p.search_vector", "ts_filter(p.search_vector, '{a}')")
	return strings.Replace(selectConversations, `WHERE p.member_id = $1 AND p.left_at IS NULL`,
		`WHERE p.member_id = $1 AND p.left_at IS NULL AND c.id IN (
	SELECT p.conversation_id FROM conversation_messages p
	WHERE `+strings.ReplaceAll(messageVisibleToP9, "$9", "$1")+` AND `+match+`
	   OR p.number = 1 AND `+inTitle+`)`, 1)
}()

// prefixQuery is the tsquery text in which each word of q is the
// beginning of a word: "citrou" finds "citrouille", "ren juil" a message
// about "rendez-vous en juillet", as one expects of a box that filters a
// list while one types. Each word goes through the message's language
// as the whole words do (stemmed, accents folded; a stop word is left
// out). "" when q uses the search's syntax (a "phrase", an -exclusion,
// or) or holds no word: then only the whole words match.
func prefixQuery(q string) string {
	if strings.Contains(q, `"`) {
		return ""
	}
	for _, f := range strings.Fields(q) {
		if strings.HasPrefix(f, "-") || strings.EqualFold(f, "or") {
			return ""
		}
	}
	var words []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !isWordRune(r) }) {
		// One letter (the l of l'été) would begin half the words.
		if utf8.RuneCountInString(w) > 1 {
			words = append(words, "'"+w+"':*")
		}
	}
	return strings.Join(words, " & ")
}

// selectUnreadConversations counts the reader's conversations with a
// message of someone else they have not read.
const selectUnreadConversations = `
SELECT count(*) FROM conversation_participants p
WHERE p.member_id = $1 AND p.left_at IS NULL AND EXISTS (
	SELECT 1 FROM conversation_messages m
	WHERE m.conversation_id = p.conversation_id AND m.number > p.last_read_number
	  AND m.status = 'published' AND m.author_id IS DISTINCT FROM p.member_id)`

// unreadConversationsOfM is selectUnreadConversations as a column of the
// queries that authenticate a member (aliased m): the header's Messages
// badge costs no query of its own (migration 0053 announces its changes).
var unreadConversationsOfM = `,
	(` + strings.Replace(strings.TrimSpace(selectUnreadConversations), "$1", "m.id", 1) + `) AS unread_conversations`

// UnreadConversations counts the conversations of the member acting in
// ctx that hold a message they have not read (0 for anyone else).
func (db *DB) UnreadConversations(ctx context.Context) (int, error) {
	m := MemberFrom(ctx)
	if m == nil {
		return 0, nil
	}
	var n int
	if err := db.GetContext(ctx, &n, selectUnreadConversations, m.ID); err != nil {
		return 0, Internal("counting unread conversations", err)
	}
	return n, nil
}

// selectMessages reads a page of a conversation: published messages, and
// held ones for their author ($3) or the staff ($4).
const selectMessages = `
SELECT m.id, m.conversation_id, m.number, m.author_id, coalesce(a.username, '') AS author_name,
	coalesce(a.status = 'deleted', false) AS author_deleted, m.body_markdown, m.body_html, m.status, m.created_at, m.edited_at,
	(SELECT count(*) FROM message_likes l WHERE l.message_id = m.id) AS like_count,
	EXISTS (SELECT 1 FROM message_likes l WHERE l.message_id = m.id AND l.member_id = $3) AS liked
FROM conversation_messages m
LEFT JOIN members a ON a.id = m.author_id
WHERE m.conversation_id = $1 AND m.number > $2
  AND (m.status = 'published' OR (m.status = 'held' AND (m.author_id = $3 OR $4)))
ORDER BY m.number
LIMIT $5`

const markConversationRead = `
UPDATE conversation_participants SET last_read_number = $3
WHERE conversation_id = $1 AND member_id = $2 AND last_read_number < $3`

// Messages returns the messages of a conversation read with Conversation,
// after the number after; a participant's reading state moves to the last
// message of the page.
func (db *DB) Messages(ctx context.Context, c *Conversation, after int) (*MessagePage, error) {
	a := ActorFrom(ctx)
	var msgs []Message
	if err := db.SelectContext(ctx, &msgs, selectMessages, c.ID, max(after, 0), a.viewerID(), a.IsStaff() && !c.Participant,
		MessagesPerPage+1); err != nil {
		return nil, Internal("reading a conversation's messages", err)
	}
	page := &MessagePage{Messages: msgs}
	if len(msgs) > MessagesPerPage {
		page.Messages = msgs[:MessagesPerPage]
		page.Next = page.Messages[MessagesPerPage-1].Number
	}
	if page.Messages == nil {
		page.Messages = []Message{}
	}
	if n := len(page.Messages); n > 0 && c.Participant && page.Messages[n-1].Number > c.LastRead {
		if _, err := db.ExecContext(ctx, markConversationRead, c.ID, a.viewerID(), page.Messages[n-1].Number); err != nil {
			return nil, Internal("marking a conversation read", err)
		}
		// A GET changes the Messages badge: the next page must not show
		// the remembered count (credential_cache.go).
		db.creds.forget(a.viewerID())
		page.MarkedRead = true
	}
	return page, nil
}

const selectMessage = `
SELECT m.id, m.conversation_id, m.number, m.author_id, coalesce(a.username, '') AS author_name,
	coalesce(a.status = 'deleted', false) AS author_deleted, m.body_markdown, m.body_html, m.status, m.created_at, m.edited_at
FROM conversation_messages m
LEFT JOIN members a ON a.id = m.author_id
WHERE m.id = $1`

// MessageByID returns a message and its conversation, if the actor of ctx
// may read them (ENOTFOUND otherwise, as Conversation).
func (db *DB) MessageByID(ctx context.Context, id int64) (*Message, *Conversation, error) {
	var m Message
	if err := db.GetContext(ctx, &m, selectMessage, id); err != nil {
		return nil, nil, notFound(err, "conversation.message_not_found", "reading a message")
	}
	c, err := db.Conversation(ctx, m.ConversationID)
	if err != nil {
		return nil, nil, Errorf(ENOTFOUND, "conversation.message_not_found", nil)
	}
	if m.Status != MessagePublished && !m.IsAuthor(MemberFrom(ctx)) && !ActorFrom(ctx).IsStaff() {
		return nil, nil, Errorf(ENOTFOUND, "conversation.message_not_found", nil)
	}
	return &m, c, nil
}
