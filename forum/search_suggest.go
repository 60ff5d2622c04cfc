package forum

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"
)

// SearchSuggestion is a thread or a member whose title or name looks like
// the words of a search that found nothing ("Did you mean").
type SearchSuggestion struct {
	Kind  string `db:"kind"`  // "thread" or "member"
	ID    int64  `db:"id"`    // the thread's or the member's
	Label string `db:"label"` // the thread's title or the member's name
	Slug  string `db:"slug"`  // the thread's; "" for a member
}

// searchSuggestions finds, by trigram similarity (pg_trgm, migration 0052),
// the published threads whose title holds words like $1 and the members
// whose name is like one of its words; indexes on both answer (a name
// compared to the whole text, username <% $1, would read every member). One
// statement, run only when the words found nothing.
const searchSuggestions = `
(SELECT 'thread' AS kind, t.id, t.title AS label, t.slug
 FROM threads t
 WHERE $1 <% t.title AND t.status = 'published'
 ORDER BY word_similarity($1, t.title) DESC, t.id DESC
 LIMIT 5)
UNION ALL
(SELECT 'member', m.id, m.username, ''
 FROM members m
 WHERE m.username % ANY (string_to_array($1, ' ')) AND m.deleted_at IS NULL
 ORDER BY word_similarity(m.username, $1) DESC, m.id
 LIMIT 3)`

// similarUsername finds the member whose name is most like name.
const similarUsername = `
SELECT username FROM members
WHERE username % $1 AND deleted_at IS NULL
ORDER BY similarity(username, $1) DESC, id
LIMIT 1`

// suggestionWords is what of a search's text titles and names are compared
// to: its words without quotes, excluded words or "or".
func suggestionWords(text string) string {
	var words []string
	for _, w := range strings.Fields(strings.ReplaceAll(text, `"`, " ")) {
		if !strings.HasPrefix(w, "-") && !strings.EqualFold(w, "or") {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// suggest finds what a search that found nothing may have meant.
func suggest(ctx context.Context, q sqlx.QueryerContext, text string) ([]SearchSuggestion, error) {
	words := suggestionWords(text)
	if len([]rune(words)) < 3 {
		return nil, nil
	}
	var out []SearchSuggestion
	err := sqlx.SelectContext(ctx, q, &out, searchSuggestions, words)
	return out, Internal("suggesting titles and names", err)
}

// unknownAuthor is the error of a search for a member who does not exist,
// naming the member whose name is most like it.
func (db *DB) unknownAuthor(ctx context.Context, name, field string) error {
	var like []string
	if err := db.pool.SelectContext(ctx, &like, similarUsername, name); err != nil {
		return Internal("looking for a similar name", err)
	}
	if len(like) == 0 {
		return Errorf(EINVALID, "search.author_unknown", map[string]any{"Name": name}).OnField(field)
	}
	return Errorf(EINVALID, "search.author_unknown_like", map[string]any{"Name": name, "Like": like[0]}).OnField(field)
}
