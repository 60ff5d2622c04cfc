package forum

import (
	"context"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// MentionSuggestion is a member the composer offers after "@".
type MentionSuggestion struct {
	Username    string `db:"username" json:"username"`
	DisplayName string `db:"display_name" json:"display_name"`
	// InThread: the member wrote in the thread being answered.
	InThread bool `db:"in_thread" json:"in_thread"`
}

// MaxMentionSuggestions is how many members the composer offers at once.
const MaxMentionSuggestions = 8

// suggestMentions: the members who wrote in the thread ($2) whose username
// starts with $1, the latest to write first; then the other members whose
// username starts with $1 (the prefix index), by username. Members who
// deleted their account, are banned, or have not confirmed it are not
// offered, nor is the one asking ($3).
const suggestMentions = `
WITH writers AS (
    SELECT p.author_id AS id, max(p.number) AS last_number
    FROM posts p
    WHERE p.thread_id = $2 AND p.status = 'published' AND p.author_id IS NOT NULL
    GROUP BY p.author_id
), in_thread AS (
    SELECT m.username, m.display_name, true AS in_thread
    FROM writers w JOIN members m ON m.id = w.id
    WHERE m.username_key LIKE $1 || '%' ESCAPE '\' AND m.status = 'active' AND m.banned_at IS NULL AND m.id <> $3
    ORDER BY w.last_number DESC
    LIMIT $4
), others AS (
    SELECT m.username, m.display_name, false AS in_thread
    FROM members m
    WHERE $1 <> '' AND m.username_key LIKE $1 || '%' ESCAPE '\' AND m.status = 'active' AND m.banned_at IS NULL
      AND m.id <> $3 AND m.id NOT IN (SELECT id FROM writers)
    ORDER BY m.username_key
    LIMIT $4
)
(SELECT * FROM in_thread) UNION ALL (SELECT * FROM others) LIMIT $4`

// SuggestMentions returns the members the acting member may mean by "@"
// followed by prefix, in reply to threadID (0: in a new thread): those who
// wrote in the thread first. With an empty prefix only the thread's writers
// are offered. Only members may ask: visitors do not write.
func (db *DB) SuggestMentions(ctx context.Context, prefix string, threadID int64) ([]MentionSuggestion, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	out := []MentionSuggestion{}
	prefix = strings.TrimPrefix(strings.TrimSpace(prefix), "@")
	if utf8.RuneCountInString(prefix) > UsernameMaxLength {
		return out, nil
	}
	key := ""
	if prefix != "" {
		// The canonical form of what was typed so far: the prefix of the
		// canonical username (lower case, NFC). A prefix no username can
		// start with matches nobody.
		if key, err = precis.UsernameCaseMapped.String(prefix); err != nil {
			return out, nil
		}
	}
	if threadID != 0 {
		// Only a thread the member can open says who wrote in it.
		if _, err := db.memberSeeingThread(ctx, threadID); err != nil {
			return nil, err
		}
	}
	err = db.SelectContext(ctx, &out, suggestMentions, likePrefix(key), threadID, m.ID, MaxMentionSuggestions)
	return out, Internal("suggesting members", err)
}
