package forum

import (
	"context"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// SearchQuery is a full-text search with its filters.
type SearchQuery struct {
	Text     string // websearch syntax: words, "a phrase", -excluded, or
	Category string // category slug; "" for all
	Author   string // username; "" for everyone
	From     string // YYYY-MM-DD, inclusive; "" for no bound
	To       string // YYYY-MM-DD, inclusive; "" for no bound
	After    string // cursor of the next page, from SearchPage.Next
}

// SearchHit is one post found, with its thread and a highlighted snippet.
type SearchHit struct {
	ThreadID     int64     `db:"thread_id"`
	ThreadTitle  string    `db:"thread_title"`
	ThreadSlug   string    `db:"thread_slug"`
	CategorySlug string    `db:"category_slug"`
	CategoryName string    `db:"category_name"`
	PostID       int64     `db:"post_id"`
	PostNumber   int       `db:"post_number"`
	AuthorName   *string   `db:"author_name"`
	CreatedAt    time.Time `db:"created_at"`
	Rank         float32   `db:"rank"`
	RawTitle     string    `db:"raw_title"`
	RawSnippet   string    `db:"raw_snippet"`
	// TitleHTML and SnippetHTML are escaped text in which only the matched
	// words are wrapped in <mark>: safe to insert in a page as they are.
	TitleHTML   string `db:"-"`
	SnippetHTML string `db:"-"`
}

// SearchPage is one page of results, best first.
type SearchPage struct {
	Hits []SearchHit
	Next string // cursor of the next page, "" at the end
}

// SearchPageSize is how many results a page holds.
const SearchPageSize = 20

// searchCandidates is how many of the most recent matching posts are ranked.
const searchCandidates = "2000"

// searchSnippetSource is how many characters of a post's text its snippet
// is taken from: ts_headline parses all it is given, for each post of the
// page (a post of 10,000 characters where every word matched took 90 ms,
// 20 of them would take 2 s). A post matched only further on gets a snippet
// of its beginning.
const searchSnippetSource = "4000"

// Highlight markers: private-use characters that ts_headline puts around
// matches in plain text; the text is then escaped and only they become
// <mark>. Members' own private-use characters are removed beforehand, so
// nothing a member writes can turn into markup.
const (
	markStart = "\ue000"
	markStop  = "\ue001"
)

// searchPosts finds published posts of published threads matching the
// query, each post in the language it was indexed in: the GIN index on
// search_vector answers each branch of the OR. Ranked by ts_rank_cd (the
// thread title weighs more than bodies), keyset-paginated on (rank, id).
// Snippets are computed for the page only.
const searchPosts = `
WITH hits AS (
	SELECT p.id, p.thread_id, p.number, p.author_id, p.created_at, p.body_html, p.search_config,
		ts_rank_cd(p.search_vector, CASE WHEN p.search_config = 'palabre_english'::regconfig
			THEN websearch_to_tsquery('palabre_english', $1) ELSE websearch_to_tsquery('palabre_french', $1) END) AS rank
	FROM posts p
	JOIN threads t ON t.id = p.thread_id
	WHERE ((p.search_config = 'palabre_french'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_french', $1))
		OR (p.search_config = 'palabre_english'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_english', $1)))
		AND p.status = 'published' AND t.status = 'published'
		AND ($2::bigint IS NULL OR t.category_id = $2)
		AND ($3::bigint IS NULL OR p.author_id = $3)
		AND ($4::timestamptz IS NULL OR p.created_at >= $4)
		AND ($5::timestamptz IS NULL OR p.created_at < $5)
	-- Ranking is bounded to the most recent matches: a word found in most
	-- posts would otherwise rank the whole forum (the planner then walks the
	-- primary key backwards and stops early; rare words use the GIN index).
	ORDER BY p.id DESC
	LIMIT ` + searchCandidates + `
), page AS (
	SELECT * FROM hits
	WHERE $6::real IS NULL OR (rank, id) < ($6::real, $7::bigint)
	ORDER BY rank DESC, id DESC
	LIMIT $8
)
SELECT page.id AS post_id, page.number AS post_number, page.created_at, page.rank,
	t.id AS thread_id, t.title AS thread_title, t.slug AS thread_slug,
	c.slug AS category_slug, c.name AS category_name, a.username AS author_name,
	ts_headline(page.search_config, translate(t.title, E'\uE000\uE001', ''),
		CASE WHEN page.search_config = 'palabre_english'::regconfig THEN websearch_to_tsquery('palabre_english', $1)
		ELSE websearch_to_tsquery('palabre_french', $1) END,
		'HighlightAll=true, StartSel=' || chr(57344) || ', StopSel=' || chr(57345)) AS raw_title,
	-- The snippet marks any word of the query: ts_headline's fragments
	-- for a query of ANDs and phrases cost a cube of the matches (a phrase
	-- found 500 times in 1,000 characters: 1.8 s), for ORs about their
	-- number. The query's text form has its operators replaced: AND and
	-- FOLLOWED BY become OR, NOT goes (an excluded word is not in the post).
	ts_headline(page.search_config,
		translate(left(palabre_search_text(page.body_html), ` + searchSnippetSource + `), E'\uE000\uE001', ''),
		regexp_replace(replace((CASE WHEN page.search_config = 'palabre_english'::regconfig THEN websearch_to_tsquery('palabre_english', $1)
		ELSE websearch_to_tsquery('palabre_french', $1) END)::text, '!', ''), '<[0-9-]+>|&', '|', 'g')::tsquery,
		'MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … ", StartSel=' || chr(57344) || ', StopSel=' || chr(57345)) AS raw_snippet
FROM page
JOIN threads t ON t.id = page.thread_id
JOIN categories c ON c.id = t.category_id
LEFT JOIN members a ON a.id = page.author_id
ORDER BY page.rank DESC, page.id DESC`

// Search runs a full-text search over what anyone may read.
func (db *DB) Search(ctx context.Context, q SearchQuery) (*SearchPage, error) {
	// PostgreSQL refuses NUL and invalid UTF-8 in text: say which field
	// rather than fail.
	for _, f := range [...]struct{ name, value string }{{"q", q.Text}, {"category", q.Category},
		{"author", q.Author}, {"from", q.From}, {"to", q.To}, {"after", q.After}} {
		if !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) {
			return nil, Errorf(EINVALID, "search.text_invalid", nil).OnField(f.name)
		}
	}
	q.Text = strings.TrimSpace(q.Text)
	switch n := utf8.RuneCountInString(q.Text); {
	case n < 2:
		return nil, Errorf(EINVALID, "search.query_too_short", map[string]any{"Min": 2}).OnField("q")
	case n > 200:
		return nil, Errorf(EINVALID, "search.query_too_long", map[string]any{"Max": 200}).OnField("q")
	}
	var categoryID, authorID *int64
	if q.Category = strings.TrimSpace(q.Category); q.Category != "" {
		c, err := db.CategoryBySlug(ctx, q.Category)
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(EINVALID, "search.category_unknown", nil).OnField("category")
		} else if err != nil {
			return nil, err
		}
		categoryID = &c.ID
	}
	if q.Author = strings.TrimPrefix(strings.TrimSpace(q.Author), "@"); q.Author != "" {
		m, err := db.MemberByUsername(ctx, q.Author)
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(EINVALID, "search.author_unknown", map[string]any{"Name": q.Author}).OnField("author")
		} else if err != nil {
			return nil, err
		}
		authorID = &m.ID
	}
	from, err := searchDate(q.From, "from", 0)
	if err != nil {
		return nil, err
	}
	to, err := searchDate(q.To, "to", 24*time.Hour) // inclusive: up to the end of that day
	if err != nil {
		return nil, err
	}
	if from != nil && to != nil && !from.Before(*to) {
		return nil, Errorf(EINVALID, "search.dates_reversed", nil).OnField("to")
	}
	var afterRank *float32
	var afterID int64
	if q.After != "" {
		r, id, ok := parseSearchCursor(q.After)
		if !ok {
			return nil, Errorf(EINVALID, "search.cursor_invalid", nil).OnField("after")
		}
		afterRank, afterID = &r, id
	}
	release, err := db.searchSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var hits []SearchHit
	err = db.boundedRead(ctx, db.searchLimits.statementTimeout(), "search.too_slow", func(tx *sqlx.Tx) error {
		return Internal("searching", tx.SelectContext(ctx, &hits, searchPosts, q.Text, categoryID, authorID, from, to,
			afterRank, afterID, SearchPageSize+1))
	})
	if err != nil {
		return nil, err
	}
	page := &SearchPage{Hits: hits}
	if len(hits) > SearchPageSize {
		page.Hits = hits[:SearchPageSize]
		last := page.Hits[SearchPageSize-1]
		page.Next = strconv.FormatFloat(float64(last.Rank), 'g', -1, 32) + "_" + strconv.FormatInt(last.PostID, 10)
	}
	for i := range page.Hits {
		h := &page.Hits[i]
		h.TitleHTML = highlight(h.RawTitle, false)
		h.SnippetHTML = highlight(h.RawSnippet, true)
	}
	return page, nil
}

func searchDate(s, field string, shift time.Duration) (*time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, Errorf(EINVALID, "search.date_invalid", nil).OnField(field)
	}
	d = d.Add(shift)
	return &d, nil
}

func parseSearchCursor(s string) (float32, int64, bool) {
	r, id, ok := strings.Cut(s, "_")
	if !ok {
		return 0, 0, false
	}
	rank, err1 := strconv.ParseFloat(r, 32)
	n, err2 := strconv.ParseInt(id, 10, 64)
	return float32(rank), n, err1 == nil && err2 == nil && n > 0
}

// highlight turns ts_headline's output into safe HTML: entities of the HTML
// source are decoded (fromHTML) and everything is escaped again, then only
// the markers become <mark>. A marker left open by a cut is closed.
func highlight(s string, fromHTML bool) string {
	var b strings.Builder
	open := false
	for len(s) > 0 {
		i := strings.IndexAny(s, markStart+markStop)
		chunk := s
		if i >= 0 {
			chunk = s[:i]
		}
		if fromHTML {
			chunk = html.UnescapeString(chunk)
		}
		b.WriteString(html.EscapeString(chunk))
		if i < 0 {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case string(r) == markStart && !open:
			b.WriteString("<mark>")
			open = true
		case string(r) == markStop && open:
			b.WriteString("</mark>")
			open = false
		}
		s = s[i+size:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return b.String()
}

// RecordServerLocale records the server's default language (PALABRE_LOCALE),
// which decides the language new posts are indexed in while the locale
// setting is empty.
func (db *DB) RecordServerLocale(ctx context.Context, locale string) error {
	if locale != "fr" && locale != "en" {
		return Errorf(EINVALID, "settings.locale_invalid", nil)
	}
	_, err := db.pool.ExecContext(ctx, `
INSERT INTO search_default (only_row, locale) VALUES (true, $1)
ON CONFLICT (only_row) DO UPDATE SET locale = EXCLUDED.locale`, locale)
	return Internal("recording the server's language", err)
}
