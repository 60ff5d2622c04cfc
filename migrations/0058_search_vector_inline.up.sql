-- A common-word search reads the vectors of the most recent posts one by
-- one (forum/search.go: the 2,000 most recent matches, ranked). A post row
-- holds its Markdown, its HTML and its vector, often more than the 2 kB
-- past which PostgreSQL moves a value out of the row: the vector, the
-- largest value that does not compress, went to the TOAST table, and each
-- one read cost a lookup in its index (at 200,000 posts, 3,100 of the
-- search's 4,400 buffers; issue 27). Kept in the row (MAIN), the vector
-- stays with the post and the Markdown and HTML move out instead: only the
-- post's own page reads those, one post at a time.
ALTER TABLE posts ALTER COLUMN search_vector SET STORAGE MAIN;

-- The storage applies to the rows written from now on. The most recent
-- posts, those a common-word search reads, are written again now (a new
-- value, equal to the old one: the same value would keep its TOAST
-- pointer); older ones when they are edited. 20,000 posts take a few
-- seconds; running this again rewrites them again, harmlessly.
UPDATE posts SET search_vector = search_vector || ''::tsvector
WHERE search_vector IS NOT NULL AND id > (SELECT max(id) - 20000 FROM posts);
