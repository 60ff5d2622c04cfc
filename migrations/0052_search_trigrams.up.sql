-- Typo-tolerant search (issue 27): when the words of a search find no
-- post, the thread titles and usernames that look like them are offered
-- ("Did you mean"), by trigram similarity (pg_trgm, in PostgreSQL's contrib;
-- a trusted extension: the database's owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- word_similarity(query, title): the query's words found in a title
-- (`$1 <% title`); word_similarity(username, query): a username among the
-- query's words (`username <% $1`). Both operators use these indexes.
CREATE INDEX IF NOT EXISTS threads_title_trgm ON threads USING gin (title gin_trgm_ops);
CREATE INDEX IF NOT EXISTS members_username_trgm ON members USING gin (username gin_trgm_ops);
