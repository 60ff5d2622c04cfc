-- Search in titles (issue 27): a thread's title is in its first post's
-- vector, so `in:title` ranks the most recent matching first posts, or
-- lists them newest first. Without an index of first posts PostgreSQL read
-- every first post through posts_thread_id_number_key and sorted them: at
-- a million posts a common word took 650 ms alone and past the search's
-- 1.2 s bound under load. Two partial indexes, each a tenth of the posts,
-- written only when a thread starts: by id (relevance's candidates, the
-- count) and by date (newest first). A plain CREATE INDEX: posts' writes
-- wait while they are built, about a second at a million posts.
CREATE INDEX IF NOT EXISTS posts_first ON posts (id) WHERE number = 1;
CREATE INDEX IF NOT EXISTS posts_first_created ON posts (created_at DESC) WHERE number = 1;
