package forum

import (
	"context"
	"time"
)

// AccountExport is everything a member wrote and everything kept about
// their account, for them to download. Secrets (password and token hashes)
// are never part of it.
type AccountExport struct {
	ExportedAt time.Time         `json:"exported_at"`
	Account    ExportedAccount   `json:"account"`
	Threads    []ExportedThread  `json:"threads"`
	Posts      []ExportedPost    `json:"posts"`
	Revisions  []ExportedEdit    `json:"revisions"`
	Sanctions  []Sanction        `json:"sanctions"`
	Sessions   []ExportedSession `json:"sessions"`
	APITokens  []ExportedToken   `json:"api_tokens"`
	Visits     []ExportedVisit   `json:"visits"`
	// Private conversations the member takes or took part in, and the
	// messages they wrote there, in their Markdown.
	Conversations []ExportedConversation `json:"conversations"`
	Messages      []ExportedMessage      `json:"messages"`
	Ignored       []IgnoredMember        `json:"ignored_members"`
	Drafts        []Draft                `json:"drafts"`
	// Uploads are the files the member uploaded (images, attachments,
	// avatars), each with the address it can be downloaded from.
	Uploads []ExportedUpload `json:"uploads"`
}

// ExportedUpload is a file the member uploaded: its address, not its
// bytes (downloaded from URL with the member's session).
type ExportedUpload struct {
	SHA256      string    `db:"sha256" json:"sha256"`
	Ext         string    `db:"ext" json:"-"`
	URL         string    `db:"-" json:"url,omitempty"` // none once a moderator removed it
	Removed     bool      `db:"removed" json:"removed,omitempty"`
	Kind        string    `db:"kind" json:"kind"`
	ContentType string    `db:"content_type" json:"content_type"`
	Size        int64     `db:"size" json:"size"`
	Width       int       `db:"width" json:"width,omitempty"`
	Height      int       `db:"height" json:"height,omitempty"`
	Name        string    `db:"original_name" json:"name,omitempty"`
	UploadedAt  time.Time `db:"created_at" json:"uploaded_at"`
}

// ExportedConversation is a private conversation the member took part in.
type ExportedConversation struct {
	ID        int64      `db:"id" json:"id"`
	Title     string     `db:"title" json:"title"`
	Started   bool       `db:"started" json:"started_by_you"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	LeftAt    *time.Time `db:"left_at" json:"left_at,omitempty"`
}

// ExportedMessage is a private message the member wrote.
type ExportedMessage struct {
	ID             int64     `db:"id" json:"id"`
	ConversationID int64     `db:"conversation_id" json:"conversation_id"`
	Number         int       `db:"number" json:"number"`
	BodyMarkdown   string    `db:"body_markdown" json:"body_markdown"`
	Status         string    `db:"status" json:"status"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`
}

const (
	exportConversations = `
SELECT c.id, c.title, c.author_id IS NOT DISTINCT FROM p.member_id AS started, c.created_at, p.left_at
FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id
WHERE p.member_id = $1 ORDER BY c.id`
	exportMessages = `
SELECT id, conversation_id, number, body_markdown, status, created_at
FROM conversation_messages WHERE author_id = $1 ORDER BY id`
	exportIgnored = `
SELECT m.id, m.username FROM ignored_members i JOIN members m ON m.id = i.ignored_id
WHERE i.member_id = $1 ORDER BY m.username_key`
)

// ExportedAccount is the account's own data.
type ExportedAccount struct {
	ID                int64             `db:"id" json:"id"`
	Username          string            `db:"username" json:"username"`
	DisplayName       string            `db:"display_name" json:"display_name"`
	Email             string            `db:"email" json:"email"`
	EmailVerifiedAt   *time.Time        `db:"email_verified_at" json:"email_verified_at"`
	Role              Role              `db:"role" json:"role"`
	TrustLevel        int               `db:"trust_level" json:"trust_level"`
	Locale            string            `db:"locale" json:"locale"`
	BioMarkdown       string            `db:"bio_markdown" json:"bio_markdown"`
	GuidelinesVersion *int              `db:"guidelines_version" json:"guidelines_version"`
	CreatedAt         time.Time         `db:"created_at" json:"created_at"`
	LastSeenAt        *time.Time        `db:"last_seen_at" json:"last_seen_at"`
	Notifications     NotificationPrefs `db:"-" json:"email_notifications"`
}

// ExportedThread is a thread the member started.
type ExportedThread struct {
	ID        int64     `db:"id" json:"id"`
	Category  string    `db:"category" json:"category"`
	Title     string    `db:"title" json:"title"`
	Status    string    `db:"status" json:"status"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// ExportedPost is a post the member wrote, in their Markdown.
type ExportedPost struct {
	ID           int64      `db:"id" json:"id"`
	ThreadID     int64      `db:"thread_id" json:"thread_id"`
	ThreadTitle  string     `db:"thread_title" json:"thread_title"`
	Number       int        `db:"number" json:"number"`
	ReplyTo      *int       `db:"reply_to" json:"reply_to,omitempty"`
	BodyMarkdown string     `db:"body_markdown" json:"body_markdown"`
	Status       string     `db:"status" json:"status"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	EditedAt     *time.Time `db:"edited_at" json:"edited_at,omitempty"`
}

// ExportedEdit is an earlier version of one of the member's posts.
type ExportedEdit struct {
	PostID       int64     `db:"post_id" json:"post_id"`
	Revision     int       `db:"revision" json:"revision"`
	BodyMarkdown string    `db:"body_markdown" json:"body_markdown"`
	EditedAt     time.Time `db:"edited_at" json:"edited_at"`
}

// ExportedSession is one of the member's sessions, without its token.
type ExportedSession struct {
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	ExpiresAt  time.Time `db:"expires_at" json:"expires_at"`
	LastSeenAt time.Time `db:"last_seen_at" json:"last_seen_at"`
	Remember   bool      `db:"remember" json:"remember"`
	UserAgent  string    `db:"user_agent" json:"user_agent"`
	ClientIP   *string   `db:"client_ip" json:"client_ip"`
}

// ExportedToken is a personal API token's metadata, never its hash.
type ExportedToken struct {
	ID         int64      `db:"id" json:"id"`
	Name       string     `db:"name" json:"name"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
}

// ExportedVisit is a day the member visited and the time spent.
type ExportedVisit struct {
	Day           string `db:"day" json:"day"`
	ActiveSeconds int    `db:"active_seconds" json:"active_seconds"`
}

const (
	exportAccount = `
SELECT id, username, display_name, email, email_verified_at, role, trust_level, locale, bio_markdown,
	guidelines_version, created_at, last_seen_at
FROM members WHERE id = $1 AND status <> 'deleted'`
	exportThreads = `
SELECT t.id, c.name AS category, t.title, t.status, t.created_at
FROM threads t JOIN categories c ON c.id = t.category_id
WHERE t.author_id = $1 ORDER BY t.created_at, t.id`
	exportPosts = `
SELECT p.id, p.thread_id, t.title AS thread_title, p.number, p.reply_to, p.body_markdown, p.status,
	p.created_at, p.edited_at
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.author_id = $1 ORDER BY p.created_at, p.id`
	exportRevisions = `
SELECT r.post_id, r.revision, r.body_markdown, r.edited_at
FROM post_revisions r JOIN posts p ON p.id = r.post_id
WHERE p.author_id = $1 AND (r.edited_by = $1 OR r.edited_by IS NULL)
ORDER BY r.post_id, r.revision`
	exportSessions = `
SELECT created_at, expires_at, last_seen_at, remember, user_agent, host(client_ip) AS client_ip
FROM sessions WHERE member_id = $1 ORDER BY created_at`
	exportTokens = `
SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE member_id = $1 ORDER BY id`
	exportVisits = `
SELECT to_char(day, 'YYYY-MM-DD') AS day, active_seconds FROM member_visits WHERE member_id = $1 ORDER BY day`
	exportDrafts  = selectDrafts
	exportUploads = `
SELECT u.sha256, u.ext, u.kind, u.content_type, u.size, u.width, u.height, u.original_name, o.created_at,
	u.removed_at IS NOT NULL AS removed
FROM upload_owners o JOIN uploads u ON u.id = o.upload_id
WHERE o.member_id = $1 ORDER BY o.created_at, u.id`
)

// ExportAccount gathers everything about the member acting in ctx.
func (db *DB) ExportAccount(ctx context.Context) (*AccountExport, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	out := &AccountExport{
		ExportedAt: time.Now().UTC(), Threads: []ExportedThread{}, Posts: []ExportedPost{},
		Revisions: []ExportedEdit{}, Sessions: []ExportedSession{}, APITokens: []ExportedToken{},
		Visits: []ExportedVisit{}, Conversations: []ExportedConversation{}, Messages: []ExportedMessage{},
		Ignored: []IgnoredMember{}, Drafts: []Draft{}, Uploads: []ExportedUpload{},
	}
	if err := db.pool.GetContext(ctx, &out.Account, exportAccount, m.ID); err != nil {
		return nil, notFound(err, "member.not_found", "exporting an account")
	}
	settings, err := db.AccountSettings(ctx)
	if err != nil {
		return nil, err
	}
	out.Account.Notifications = settings.Notifications
	for _, q := range []struct {
		dst   any
		query string
	}{
		{&out.Threads, exportThreads}, {&out.Posts, exportPosts}, {&out.Revisions, exportRevisions},
		{&out.Sessions, exportSessions}, {&out.APITokens, exportTokens}, {&out.Visits, exportVisits},
		{&out.Conversations, exportConversations}, {&out.Messages, exportMessages}, {&out.Ignored, exportIgnored},
		{&out.Drafts, exportDrafts}, {&out.Uploads, exportUploads},
	} {
		if err := db.pool.SelectContext(ctx, q.dst, q.query, m.ID); err != nil {
			return nil, Internal("exporting an account", err)
		}
	}
	for i, u := range out.Uploads {
		if !u.Removed { // removed: served to staff only
			out.Uploads[i].URL = UploadURL(u.SHA256, u.Ext)
		}
	}
	if out.Sanctions, err = db.MemberSanctions(ctx, m.ID); err != nil {
		return nil, err
	}
	return out, nil
}
