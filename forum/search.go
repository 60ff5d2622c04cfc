package forum

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// SearchQuery is a full-text search with its filters. Text may also hold
// the operators of searchSyntax (in:title, @name, #category, after:,
// before:, order:), the same as the fields.
type SearchQuery struct {
	Text     string // words, "a phrase", -excluded, or, and operators
	Category string // category slug; "" for all
	Author   string // username; "" for everyone
	From     string // YYYY-MM-DD, inclusive; "" for no bound
	To       string // YYYY-MM-DD, inclusive; "" for no bound
	Order    string // SearchByRelevance (the default) or SearchByLatest
	After    string // cursor of the next page, from SearchPage.Next
}

// SearchHit is one post found, with its thread and a highlighted snippet;
// or, with in:messages, one message of the reader's conversations: then
// ConversationID is set, PostID and PostNumber are the message's id and
// number, ThreadTitle is the conversation's title, and the thread's and
// category's other fields are empty.
type SearchHit struct {
	ThreadID     int64
	ThreadTitle  string
	ThreadSlug   string
	CategorySlug string
	CategoryName string
	PostID       int64
	PostNumber   int
	// ConversationID is the conversation of a message (0 for a post).
	ConversationID int64
	AuthorName     *string
	CreatedAt      time.Time
	Rank           float32
	// TitleHTML and SnippetHTML are escaped text in which only the matched
	// words are wrapped in <mark>: safe to insert in a page as they are.
	TitleHTML   string
	SnippetHTML string
}

// SearchPage is one page of results, best first (or newest first).
type SearchPage struct {
	Hits []SearchHit
	Next string // cursor of the next page, "" at the end
	// Total is how many posts match, counted up to SearchCountLimit;
	// TotalCapped says there are more.
	Total       int
	TotalCapped bool
	Order       string // the order the results are in
	// InMessages: the results are messages of the reader's conversations.
	InMessages bool
	// DidYouMean are threads and members whose title or name looks like
	// the words, when they found nothing.
	DidYouMean []SearchSuggestion
}

// SearchMaxRunes is the longest text a search, or the conversation list's
// box, reads: a query of thousands of words would be matched against
// every candidate.
const SearchMaxRunes = 200

// checkSearchLength refuses, on q, a text longer than SearchMaxRunes.
func checkSearchLength(text string) error {
	if utf8.RuneCountInString(strings.TrimSpace(text)) > SearchMaxRunes {
		return Errorf(EINVALID, "search.query_too_long", map[string]any{"Max": SearchMaxRunes}).OnField("q")
	}
	return nil
}

// SearchPageSize is how many results a page holds.
const SearchPageSize = 20

// searchCandidates is how many of the most recent matching posts are
// ranked, and SearchCountLimit how far matches are counted.
const (
	searchCandidates = "2000"
	SearchCountLimit = 2000
)

// searchFinalists is how many of the candidates, the best by ts_rank, are
// ranked again by ts_rank_cd, whose order the results follow. ts_rank_cd
// weighs how close the words are (its covers) and costs three to four
// times ts_rank: on all 2,000 candidates it was the larger half of a
// common-word search's time, on 200 of them still 0.7 ms of the
// database's CPU more than on 100. On the bench forum the best ten by
// ts_rank_cd of the 2,000 were always among the best 50 by ts_rank
// (scripts/searchrelevance, bench/results.md), so the first five pages
// follow ts_rank_cd; the other candidates follow the finalists, by
// ts_rank.
const searchFinalists = 100

// The parts of a search statement. $1 is the query's text, $2 the
// category, $3 the author, $4 and $5 the dates (from, inclusive; to,
// exclusive), $6 and $7 the cursor, $8 the page's size; with in:messages,
// $9 the reader. A post (or message) is matched in the language it was
// indexed in: the GIN index on search_vector answers each branch of the
// OR. The statements read posts or messages alike, both aliased p:
// {from} is set by searchStatement.
const (
	searchQueryOfPost = `(CASE WHEN p.search_config = 'palabre_english'::regconfig
		THEN websearch_to_tsquery('palabre_english', $1) ELSE websearch_to_tsquery('palabre_french', $1) END)`
	// The words the candidates are first scored by: querytree leaves out
	// the excluded ones (an excluded word is in no candidate, and ts_rank
	// would score an AND with it as if half the words were missing).
	searchPreQueryOfPost = `(CASE WHEN p.search_config = 'palabre_english'::regconfig
		THEN querytree(websearch_to_tsquery('palabre_english', $1))::tsquery
		ELSE querytree(websearch_to_tsquery('palabre_french', $1))::tsquery END)`
	searchMatch = `((p.search_config = 'palabre_french'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_french', $1))
		OR (p.search_config = 'palabre_english'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_english', $1)))`
	// The thread's title is in its first post's vector with weight A; a
	// conversation's in its first message's (migration 0070).
	searchInTitle = ` AND p.number = 1 AND ts_filter(p.search_vector, '{a}') @@ ` + searchQueryOfPost
	// A post's thread is published unless it is among the few that are not
	// (threads_unpublished, migration 0052): a hashed list read once, where a
	// join had looked up the thread of each candidate (2,000 lookups, half
	// the time of a search for common words).
	searchFrom = `
	FROM posts p
	WHERE p.status = 'published'
		AND p.thread_id NOT IN (SELECT u.id FROM threads u WHERE u.status <> 'published')
		AND ($2::bigint IS NULL OR p.thread_id IN (SELECT c.id FROM threads c WHERE c.category_id = $2))
		AND ($3::bigint IS NULL OR p.author_id = $3)
		AND ($4::timestamptz IS NULL OR p.created_at >= $4)
		AND ($5::timestamptz IS NULL OR p.created_at < $5)`
	// With in:messages: the messages of the conversations the reader ($9)
	// takes part in and has not left, as their page shows them to a
	// participant (selectMessages): published, and the reader's own held
	// ones; never another's held or removed one, even for staff. No
	// category ($2 is always NULL: Search refuses one).
	searchFromMessages = `
	FROM conversation_messages p
	WHERE p.conversation_id IN (SELECT r.conversation_id FROM conversation_participants r WHERE r.member_id = $9 AND r.left_at IS NULL)
		AND ` + messageVisibleToP9 + `
		AND $2::bigint IS NULL
		AND ($3::bigint IS NULL OR p.author_id = $3)
		AND ($4::timestamptz IS NULL OR p.created_at >= $4)
		AND ($5::timestamptz IS NULL OR p.created_at < $5)`
	// messageVisibleToP9: message p shows on its conversation's page to
	// participant $9.
	messageVisibleToP9 = `(p.status = 'published' OR (p.status = 'held' AND p.author_id = $9))`
	// Ranking is bounded to the most recent matches: a word found in most
	// posts would otherwise rank the whole forum (the planner then walks the
	// primary key backwards and stops early; rare words use the GIN index).
	// The candidates are scored by ts_rank; the statement returns the best
	// of them, in that order ($8 of them: the searchFinalists and a page
	// more, or past the finalists the page after the cursor $6, $7, a
	// score and an id), how many match, and the query's lexemes in each
	// language, which the titles and snippets mark (search_snippet.go;
	// {lexemes}, set by searchStatement). The finalists are then ranked by
	// ts_rank_cd (selectFinalistRanks) and ordered in Go: one statement that
	// did it all, joining the finalists' ranks back to the candidates,
	// spent as much of the database's time on that join, its sorts and its
	// planning as on the walk itself (bench/results.md, 2026-12-08).
	searchByRelevance = `
WITH candidates AS (
	SELECT p.id, ts_rank(p.search_vector, ` + searchPreQueryOfPost + `) AS pre{from} AND ` + searchMatch + `%s
	ORDER BY p.id DESC
	LIMIT ` + searchCandidates + ` + 1
)
SELECT c.id, c.pre, NULL::timestamptz AS created_at, (SELECT count(*) FROM candidates) AS total, {lexemes}
FROM candidates c
WHERE $6::real IS NULL OR (c.pre, c.id) < ($6::real, $7::bigint)
ORDER BY c.pre DESC, c.id DESC
LIMIT $8`
	// Newest first, the page is read along posts_created; the count
	// stops at searchCandidates + 1.
	searchByDate = `
WITH page AS (
	SELECT p.id, p.created_at{from}%[1]s
		AND ($6::timestamptz IS NULL OR (p.created_at, p.id) < ($6::timestamptz, $7::bigint))
	ORDER BY p.created_at DESC, p.id DESC
	LIMIT $8
)
SELECT page.id, 0::real AS rank, page.created_at,
	(SELECT count(*) FROM (SELECT 1{from}%[1]s LIMIT ` + searchCandidates + ` + 1) matches) AS total, {lexemes}
FROM page
ORDER BY page.created_at DESC, page.id DESC`
)

// selectSearchShown reads what a page of results shows of its posts: their
// thread, category and author, and their HTML for the snippets. A prepared statement of its own: joined to the ranking
// statement, these five tables took the planner 0.4 ms more at every
// search, where a prepared statement is planned once per connection. A
// post or thread hidden since it was ranked is left out.
const selectSearchShown = `
SELECT b.id, b.number, b.created_at, b.thread_id, t.title, t.slug, c.slug AS category_slug, c.name AS category_name,
	a.username AS author_name, b.search_config::text AS search_config, b.body_html, 0::bigint AS conversation_id
FROM posts b
JOIN threads t ON t.id = b.thread_id
JOIN categories c ON c.id = t.category_id
LEFT JOIN members a ON a.id = b.author_id
WHERE b.id = ANY($1::bigint[]) AND b.status = 'published' AND t.status = 'published'`

// selectMessageSearchShown is selectSearchShown for messages, in the same
// columns (a message has no thread or category): their conversation's
// title and their author (none for a deleted member, as their page shows
// a former member). A message hidden since it was ranked, or a
// conversation the reader ($2) left since, is left out.
var selectMessageSearchShown = `
SELECT p.id, p.number, p.created_at, 0::bigint AS thread_id, c.title, '' AS slug, '' AS category_slug, '' AS category_name,
	CASE WHEN a.status <> 'deleted' THEN a.username END AS author_name, p.search_config::text AS search_config, p.body_html,
	p.conversation_id
FROM conversation_messages p
JOIN conversations c ON c.id = p.conversation_id
LEFT JOIN members a ON a.id = p.author_id
WHERE p.id = ANY($1::bigint[]) AND ` + strings.ReplaceAll(messageVisibleToP9, "$9", "$2") + `
	AND EXISTS (SELECT 1 FROM conversation_participants r
	            WHERE r.conversation_id = p.conversation_id AND r.member_id = $2 AND r.left_at IS NULL)`

// selectFinalistRanks ranks the finalists ($2, ids of posts or messages:
// {table}) by ts_rank_cd for the query $1, each in the language it was
// indexed in. A prepared statement: its plan, by id, is the same for every
// query, and the query is parsed once (a materialized row), not at each
// row as a parameter of a generic plan would be.
const selectFinalistRanks = `
WITH q AS MATERIALIZED (
	SELECT websearch_to_tsquery('palabre_french', $1) AS french, websearch_to_tsquery('palabre_english', $1) AS english
)
SELECT p.id, ts_rank_cd(p.search_vector, CASE WHEN p.search_config = 'palabre_english'::regconfig THEN q.english ELSE q.french END)
FROM {table} p, q
WHERE p.id = ANY($2::bigint[])`

// finalistRanks is selectFinalistRanks over posts, or with true over
// messages.
var finalistRanks = map[bool]string{
	false: strings.ReplaceAll(selectFinalistRanks, "{table}", "posts"),
	true:  strings.ReplaceAll(selectFinalistRanks, "{table}", "conversation_messages"),
}

// searchStatement is the statement of a search: by relevance or date, with
// words or filters only, in titles only or everywhere, over posts or the
// reader's messages.
func searchStatement(order string, words, inTitle, messages bool) string {
	cond := ""
	if words {
		cond = " AND " + searchMatch
		if inTitle {
			cond += searchInTitle
		}
	} else {
		cond = " AND $1::text = ''" // the words are none
		if inTitle {
			cond += " AND p.number = 1"
		}
	}
	lexemes := `websearch_to_tsquery('palabre_french', $1)::text AS french, websearch_to_tsquery('palabre_english', $1)::text AS english`
	if !words {
		// The snippets then mark nothing.
		lexemes = `'' AS french, '' AS english`
	}
	from := searchFrom
	if messages {
		from = searchFromMessages
	}
	fill := strings.NewReplacer("{lexemes}", lexemes, "{from}", from)
	if order == SearchByRelevance {
		return fill.Replace(fmt.Sprintf(searchByRelevance, strings.TrimPrefix(cond, " AND "+searchMatch)))
	}
	return fill.Replace(fmt.Sprintf(searchByDate, cond))
}

// searchShape is what a search's statement depends on.
type searchShape struct {
	order                    string
	words, inTitle, messages bool
}

// searchStatements are the statements of every shape, made once.
var searchStatements = func() map[searchShape]string {
	m := map[searchShape]string{}
	for _, order := range []string{SearchByRelevance, SearchByLatest} {
		for _, words := range []bool{false, true} {
			for _, inTitle := range []bool{false, true} {
				for _, messages := range []bool{false, true} {
					m[searchShape{order, words, inTitle, messages}] = searchStatement(order, words, inTitle, messages)
				}
			}
		}
	}
	return m
}()

// searchRanked is a row of a ranking statement: a post of the page, its
// rank or date, how many posts match, and the query's lexemes.
type searchRanked struct {
	id int64
	// rank orders the page by relevance: a finalist's ts_rank_cd (never
	// negative), or below zero, the other candidates' pre (belowZero).
	rank float32
	// pre is a candidate's ts_rank.
	pre             float32
	createdAt       *time.Time
	total           int
	french, english string
}

// belowZero maps a candidate's ts_rank to a rank below every finalist's
// (ts_rank_cd is never negative), in the same order.
func belowZero(pre float32) float32 {
	return float32(-1 / (1 + float64(pre)))
}

// relevanceCursor is where a page by relevance starts: after a finalist
// (its ts_rank_cd and id), or past the finalists, after a candidate (its
// ts_rank and id).
type relevanceCursor struct {
	rank          float32
	pastFinalists bool
	id            int64
}

// rankByRelevance returns a page of posts (or messages) by relevance, one
// more than it shows: the finalists by ts_rank_cd, then the other
// candidates by ts_rank. args are the statement's, whose cursor ($6, $7)
// and size ($8) are set here.
func (db *DB) rankByRelevance(ctx context.Context, from *sqlx.DB, statement string, args []any, after *relevanceCursor, messages bool) ([]searchRanked, error) {
	// Past the finalists, the page is the candidates after the cursor by
	// ts_rank (the finalists are the first by it); before, the finalists
	// and a page more, ranked here.
	past := after != nil && after.pastFinalists
	if past {
		args[5], args[6], args[7] = after.rank, after.id, SearchPageSize+1
	} else {
		args[5], args[6], args[7] = nil, nil, searchFinalists+SearchPageSize+1
	}
	rows, err := from.QueryContext(ctx, statement, args...)
	if err != nil {
		return nil, err
	}
	page, err := scanSearchRanked(rows)
	if err != nil {
		return nil, err
	}
	for i := range page {
		page[i].pre = page[i].rank
		page[i].rank = belowZero(page[i].pre)
	}
	if past {
		return page, nil
	}
	if err := db.rankFinalists(ctx, from, args[0], page[:min(len(page), searchFinalists)], messages); err != nil {
		return nil, err
	}
	if after != nil { // after a finalist
		i := 0
		for i < len(page) && page[i].rank >= 0 && (page[i].rank > after.rank || page[i].rank == after.rank && page[i].id >= after.id) {
			i++
		}
		page = page[i:]
	}
	return page[:min(len(page), SearchPageSize+1)], nil
}

// rankFinalists ranks the finalists by ts_rank_cd for the query text
// (selectFinalistRanks) and orders them by it, then id.
func (db *DB) rankFinalists(ctx context.Context, from *sqlx.DB, text any, finalists []searchRanked, messages bool) error {
	if len(finalists) == 0 {
		return nil
	}
	ids := make(pq.Int64Array, len(finalists))
	for i := range finalists {
		ids[i] = finalists[i].id
	}
	st, err := db.preparedOn(ctx, from, finalistRanks[messages])
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, text, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	cd := make(map[int64]float32, len(finalists))
	for rows.Next() {
		var id int64
		var rank float32
		if err := rows.Scan(&id, &rank); err != nil {
			return err
		}
		cd[id] = rank
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// A finalist deleted since it was found ranks 0; the page leaves it
	// out (readSearchShown).
	for i := range finalists {
		finalists[i].rank = cd[finalists[i].id]
	}
	slices.SortFunc(finalists, func(a, b searchRanked) int {
		if c := cmp.Compare(b.rank, a.rank); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	return nil
}

func scanSearchRanked(rows *sql.Rows) ([]searchRanked, error) {
	defer rows.Close()
	var out []searchRanked
	for rows.Next() {
		var r searchRanked
		if err := rows.Scan(&r.id, &r.rank, &r.createdAt, &r.total, &r.french, &r.english); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// searchShown is a post of a page as selectSearchShown reads it.
type searchShown struct {
	hit          SearchHit
	searchConfig string
	bodyHTML     string
}

// readSearchShown reads what the page shows of the posts ranked, by id
// (their order is the ranking's); with reader, of reader's messages.
func (db *DB) readSearchShown(ctx context.Context, from *sqlx.DB, ranked []searchRanked, reader *Member) (map[int64]*searchShown, error) {
	ids := make(pq.Int64Array, len(ranked))
	for i, r := range ranked {
		ids[i] = r.id
	}
	query, args := selectSearchShown, []any{ids}
	if reader != nil {
		query, args = selectMessageSearchShown, []any{ids, reader.ID}
	}
	st, err := db.preparedOn(ctx, from, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	shown := make(map[int64]*searchShown, len(ranked))
	for rows.Next() {
		s := &searchShown{}
		h := &s.hit
		if err := rows.Scan(&h.PostID, &h.PostNumber, &h.CreatedAt, &h.ThreadID, &h.ThreadTitle, &h.ThreadSlug,
			&h.CategorySlug, &h.CategoryName, &h.AuthorName, &s.searchConfig, &s.bodyHTML, &h.ConversationID); err != nil {
			return nil, err
		}
		shown[h.PostID] = s
	}
	return shown, rows.Err()
}

// Search runs a full-text search over what anyone may read; with
// in:messages (or in:personal), over the conversations of the member
// acting in ctx only, a moderator's or an admin's as anyone's
// (EUNAUTHORIZED for a visitor).
func (db *DB) Search(ctx context.Context, q SearchQuery) (*SearchPage, error) {
	// PostgreSQL refuses NUL and invalid UTF-8 in text: say which field
	// rather than fail.
	for _, f := range [...]struct{ name, value string }{{"q", q.Text}, {"category", q.Category},
		{"author", q.Author}, {"from", q.From}, {"to", q.To}, {"order", q.Order}, {"after", q.After}} {
		if !validSearchText(f.value) {
			return nil, Errorf(EINVALID, "search.text_invalid", nil).OnField(f.name)
		}
	}
	if err := checkSearchLength(q.Text); err != nil {
		return nil, err
	}
	syn, err := parseSearchSyntax(q.Text)
	if err != nil {
		return nil, err
	}
	var reader *Member // with in:messages
	if syn.InMessages {
		if reader, err = RequireMember(ctx); err != nil {
			return nil, err
		}
		// Private messages are read where their pages read them, on the
		// primary: a replica behind would still show a conversation the
		// reader just left, and miss the message just received.
		ctx = PrimaryReads(ctx)
		// Conversations are in no category.
		if syn.Category != "" {
			return nil, Errorf(EINVALID, "search.messages_category", nil).OnField("q")
		}
		if strings.TrimSpace(q.Category) != "" {
			return nil, Errorf(EINVALID, "search.messages_category", nil).OnField("category")
		}
	}
	f, err := db.searchFilters(ctx, q, syn)
	if err != nil {
		return nil, err
	}
	words := syn.Text != ""
	// in:messages alone lists the reader's messages, newest first.
	if n := utf8.RuneCountInString(syn.Text); (words || !(f.any || reader != nil)) && n < 2 {
		return nil, Errorf(EINVALID, "search.query_too_short", map[string]any{"Min": 2}).OnField("q")
	}
	if !words {
		f.order = SearchByLatest // nothing to rank
	}
	var cursorTime any
	var cursorID int64
	var after *relevanceCursor
	if q.After != "" {
		var ok bool
		if f.order == SearchByLatest {
			var t time.Time
			t, cursorID, ok = parseDateCursor(q.After)
			cursorTime = t
		} else {
			after, ok = parseSearchCursor(q.After)
		}
		if !ok {
			return nil, Errorf(EINVALID, "search.cursor_invalid", nil).OnField("after")
		}
	}
	release, err := db.searchSlot(ctx)
	if err != nil {
		return nil, err
	}
	var ranked []searchRanked
	var shown map[int64]*searchShown
	var didYouMean []SearchSuggestion
	err = db.boundedRead(ctx, searchStatementTimeout, "search.too_slow", func(ctx context.Context, from *sqlx.DB) error {
		ranked, shown, didYouMean = nil, nil, nil // again on the primary if the replica failed
		args := []any{syn.Text, f.categoryID, f.authorID, f.from, f.to, cursorTime, cursorID, SearchPageSize + 1}
		if reader != nil {
			args = append(args, reader.ID)
		}
		statement := searchStatements[searchShape{f.order, words, syn.InTitle, reader != nil}]
		if f.order == SearchByRelevance {
			ranked, err = db.rankByRelevance(ctx, from, statement, args, after, reader != nil)
		} else {
			var rows *sql.Rows
			if rows, err = from.QueryContext(ctx, statement, args...); err == nil {
				ranked, err = scanSearchRanked(rows)
			}
		}
		if err != nil {
			return Internal("searching", err)
		}
		if len(ranked) > 0 {
			shown, err = db.readSearchShown(ctx, from, ranked[:min(len(ranked), SearchPageSize)], reader)
			return Internal("reading the results", err)
		}
		// Titles and names of the forum are no suggestion for words of
		// one's messages.
		if !words || q.After != "" || reader != nil {
			return nil
		}
		didYouMean, err = suggest(ctx, from, syn.Text)
		return err
	})
	release() // the titles and snippets are made without the database
	if err != nil {
		return nil, err
	}
	page := &SearchPage{Order: f.order, DidYouMean: didYouMean, InMessages: reader != nil}
	if len(ranked) > 0 {
		page.Total = min(ranked[0].total, SearchCountLimit)
		page.TotalCapped = ranked[0].total > SearchCountLimit
	}
	if len(ranked) > SearchPageSize {
		last := ranked[SearchPageSize-1]
		switch {
		case f.order == SearchByLatest && last.createdAt != nil:
			page.Next = "t" + strconv.FormatInt(last.createdAt.UnixMicro(), 10) + "_" + strconv.FormatInt(last.id, 10)
		case last.rank >= 0: // a finalist
			page.Next = strconv.FormatFloat(float64(last.rank), 'g', -1, 32) + "_" + strconv.FormatInt(last.id, 10)
		default:
			page.Next = "p" + strconv.FormatFloat(float64(last.pre), 'g', -1, 32) + "_" + strconv.FormatInt(last.id, 10)
		}
		ranked = ranked[:SearchPageSize]
	}
	matchers := map[string]*snippetMatcher{} // by language
	for _, r := range ranked {
		s := shown[r.id]
		if s == nil {
			continue // hidden since it was ranked
		}
		h := s.hit
		h.Rank = r.rank
		m := matchers[s.searchConfig]
		if m == nil {
			lexemes := r.french
			if s.searchConfig == "palabre_english" {
				lexemes = r.english
			}
			m = newSnippetMatcher(lexemes, s.searchConfig)
			matchers[s.searchConfig] = m
		}
		h.TitleHTML = highlightTitle(h.ThreadTitle, m)
		h.SnippetHTML = snippet(s.bodyHTML, m)
		page.Hits = append(page.Hits, h)
	}
	return page, nil
}

// searchFilter is a search's filters, from its fields and its operators.
type searchFilter struct {
	categoryID, authorID *int64
	from, to             *time.Time // from inclusive, to exclusive
	order                string
	any                  bool // a member, category or date narrows the search
}

// searchFilters reads the filters of the fields and of the operators; a
// filter given both ways must say the same.
func (db *DB) searchFilters(ctx context.Context, q SearchQuery, syn searchSyntax) (searchFilter, error) {
	var f searchFilter
	pick := func(field, fieldValue, opValue string) (string, string, error) {
		fieldValue = strings.TrimSpace(fieldValue)
		switch {
		case opValue == "":
			return fieldValue, field, nil
		case fieldValue == "" || strings.EqualFold(fieldValue, opValue):
			return opValue, "q", nil
		}
		return "", "", Errorf(EINVALID, "search.filter_conflict", nil).OnField(field)
	}
	slug, field, err := pick("category", q.Category, syn.Category)
	if err != nil {
		return f, err
	}
	if slug != "" {
		c, err := db.CategoryBySlug(ctx, slug)
		if ErrorCode(err) == ENOTFOUND {
			return f, Errorf(EINVALID, "search.category_unknown", nil).OnField(field)
		} else if err != nil {
			return f, err
		}
		f.categoryID = &c.ID
	}
	name, field, err := pick("author", strings.TrimPrefix(strings.TrimSpace(q.Author), "@"), syn.Author)
	if err != nil {
		return f, err
	}
	if name != "" {
		m, err := db.MemberByUsername(ctx, name)
		if ErrorCode(err) == ENOTFOUND {
			return f, db.unknownAuthor(ctx, name, field)
		} else if err != nil {
			return f, err
		}
		f.authorID = &m.ID
	}
	// Dates given both ways all apply: the latest start, the earliest end.
	from, err := searchDate(q.From, "from", 0)
	if err != nil {
		return f, err
	}
	to, err := searchDate(q.To, "to", 24*time.Hour) // inclusive: up to the end of that day
	if err != nil {
		return f, err
	}
	after, _ := searchDate(syn.After, "q", 0)
	before, _ := searchDate(syn.Before, "q", 0)
	if after != nil && (from == nil || after.After(*from)) {
		from = after
	}
	if before != nil && (to == nil || before.Before(*to)) {
		to = before
	}
	if from != nil && to != nil && !from.Before(*to) {
		field := "to"
		if syn.Before != "" || syn.After != "" {
			field = "q"
		}
		return f, Errorf(EINVALID, "search.dates_reversed", nil).OnField(field)
	}
	f.from, f.to = from, to
	order, field, err := pick("order", q.Order, syn.Order)
	if err != nil {
		return f, err
	}
	switch order = strings.ToLower(order); order {
	case "":
		order = SearchByRelevance
	case SearchByRelevance, SearchByLatest:
	default:
		return f, Errorf(EINVALID, "search.order_invalid", nil).OnField(field)
	}
	f.order = order
	f.any = f.categoryID != nil || f.authorID != nil || f.from != nil || f.to != nil
	return f, nil
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

// parseSearchCursor reads the cursor of a page by relevance: a finalist's
// rank, "_" and its id; or past the finalists "p", a candidate's ts_rank,
// "_" and its id. Both are never negative. (Before 2026-12-08 a cursor
// past the finalists was a rank below zero, which merged close scores:
// such a link is refused as any invalid one, rather than lose or repeat
// results.)
func parseSearchCursor(s string) (*relevanceCursor, bool) {
	value, id, ok := strings.Cut(s, "_")
	if !ok {
		return nil, false
	}
	past := strings.HasPrefix(value, "p")
	r, err1 := strconv.ParseFloat(strings.TrimPrefix(value, "p"), 32)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || !(r >= 0) || math.IsInf(r, 0) {
		return nil, false
	}
	return &relevanceCursor{rank: float32(r), pastFinalists: past, id: n}, true
}

// parseDateCursor reads the cursor of a page by date: "t", the last post's
// time in microseconds, "_" and its id.
func parseDateCursor(s string) (time.Time, int64, bool) {
	t, id, ok := strings.Cut(strings.TrimPrefix(s, "t"), "_")
	if !ok || !strings.HasPrefix(s, "t") {
		return time.Time{}, 0, false
	}
	us, err1 := strconv.ParseInt(t, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	return time.UnixMicro(us).UTC(), n, err1 == nil && err2 == nil && n > 0
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
