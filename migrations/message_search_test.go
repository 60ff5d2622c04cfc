package migrations_test

import (
	"testing"

	"github.com/palabre/palabre/migrations"
)

// Migration 0070 indexes the messages written before it: a database as
// 0069 left it, with messages the previous release wrote, gets their
// vectors (the conversation's title in the first message's, weight A), and
// the messages that release keeps inserting during a rolling upgrade are
// indexed by the trigger.
func TestMessageSearchFillsExistingMessages(t *testing.T) {
	db := emptyDatabase(t)
	if err := migrations.Up(db); err != nil {
		t.Fatal(err)
	}
	// Back to the schema 0069 left, with its messages.
	for _, stmt := range []string{
		`DROP INDEX conversation_messages_search`,
		`DROP TRIGGER conversation_messages_search_vector ON conversation_messages`,
		`DROP FUNCTION conversation_messages_search_vector()`,
		`ALTER TABLE conversation_messages DROP COLUMN search_vector, DROP COLUMN search_config`,
		`INSERT INTO conversations (title) VALUES ('Sortie au musée')`,
		`INSERT INTO conversation_messages (conversation_id, number, body_markdown, body_html)
		 SELECT id, 1, 'x', '<p>Les élèves arriveront demain</p>' FROM conversations`,
		`INSERT INTO conversation_messages (conversation_id, number, body_markdown, body_html, status)
		 SELECT id, 2, 'x', '<p>Pensez aux billets</p>', 'held' FROM conversations`,
		`UPDATE schema_migrations SET version = 69`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := migrations.Up(db); err != nil {
		t.Fatal(err)
	}
	// As the previous release still writes them: no search columns named.
	if _, err := db.Exec(`INSERT INTO conversation_messages (conversation_id, number, body_markdown, body_html)
		SELECT id, 3, 'x', '<p>Rendez-vous devant l’entrée</p>' FROM conversations`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		number int
		query  string // in the site's default language, French
	}{
		{1, "eleve & arriver"}, // stemmed, accents folded
		{2, "billet"},
		{3, "entree"},
	} {
		var matches, exact, config bool
		err := db.QueryRow(`
SELECT m.search_vector @@ to_tsquery('palabre_french', $2),
	m.search_vector = palabre_post_search_vector(m.search_config, CASE WHEN m.number = 1 THEN c.title END, m.body_html),
	m.search_config = 'palabre_french'::regconfig
FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.number = $1`, c.number, c.query).
			Scan(&matches, &exact, &config)
		if err != nil {
			t.Fatal(err)
		}
		if !matches || !exact || !config {
			t.Errorf("message %d: matches %q %v, vector as a post's %v, French %v", c.number, c.query, matches, exact, config)
		}
	}
	// The title is in the first message only, with weight A.
	var inTitle, secondHasTitle bool
	if err := db.QueryRow(`
SELECT bool_or(number = 1 AND ts_filter(search_vector, '{a}') @@ to_tsquery('palabre_french', 'musee')),
	bool_or(number > 1 AND search_vector @@ to_tsquery('palabre_french', 'musee'))
FROM conversation_messages`).Scan(&inTitle, &secondHasTitle); err != nil {
		t.Fatal(err)
	}
	if !inTitle || secondHasTitle {
		t.Errorf("the title: in the first message's vector with weight A %v, in another's %v", inTitle, secondHasTitle)
	}
	var indexed bool
	if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'conversation_messages_search')`).Scan(&indexed); err != nil || !indexed {
		t.Errorf("no GIN index on the messages' vectors: %v", err)
	}
}
