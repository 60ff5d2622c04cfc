-- Forum, part A: likes, reading state, the number of the last published
-- post of a thread, pinned-first keyset pagination of a category.

-- Likes: one per member and post; posts.like_count is kept in the same
-- transaction, so a thread page never counts.
CREATE TABLE likes (
    post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    member_id   bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, member_id)
);
CREATE INDEX likes_member ON likes (member_id, created_at DESC);

ALTER TABLE posts ADD COLUMN like_count integer NOT NULL DEFAULT 0;

-- Reading state: the highest post number a member has seen in a thread.
CREATE TABLE read_states (
    member_id         bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    thread_id         bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    last_read_number  integer NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, thread_id)
);

-- Number of the last published post, for "jump to the last post" and unread
-- counts; kept with post_count and last_post_*.
ALTER TABLE threads ADD COLUMN last_post_number integer NOT NULL DEFAULT 1;

-- A category lists pinned threads first, then by last activity: keyset
-- pagination on (pinned, last_post_at, id), all descending.
CREATE INDEX threads_category_pinned_activity ON threads (category_id, pinned DESC, last_post_at DESC, id DESC);
