-- A page of a thread asks whether its reader has a post held there (which
-- only they and the staff see, so that the page cannot come from the
-- snapshot every reader shares): held posts are few, and so is this index.
CREATE INDEX posts_held ON posts (thread_id, author_id) WHERE status = 'held';
