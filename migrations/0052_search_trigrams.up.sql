-- Typo-tolerant search (issue 27): when the words of a search find no
-- post, the thread titles and usernames that look like them are offered
-- ("Did you mean"), by trigram similarity (pg_trgm, in PostgreSQL's contrib;
-- a trusted extension: the database's owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- word_similarity(query, title): the query's words found in a title
-- (`$1 <% title`); similarity(username, word): a username like one of the
-- query's words (`username % ANY (words)`). Both use these indexes.
CREATE INDEX IF NOT EXISTS threads_title_trgm ON threads USING gin (title gin_trgm_ops);
CREATE INDEX IF NOT EXISTS members_username_trgm ON members USING gin (username gin_trgm_ops);

-- The threads whose posts a search leaves out (forum/search.go): few, read
-- whole at each search rather than a thread looked up per post matched.
CREATE INDEX IF NOT EXISTS threads_unpublished ON threads (id) WHERE status <> 'published';
