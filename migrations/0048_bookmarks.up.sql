-- Bookmarks: a member keeps a post to come back to, with a note and, if
-- they want, a reminder: the job bookmark.reminders notifies them when it
-- is due (notification kind 'bookmark_reminder').
CREATE TABLE IF NOT EXISTS bookmarks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    remind_at   timestamptz,
    reminded_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (member_id, post_id)
);
CREATE INDEX IF NOT EXISTS bookmarks_of_member ON bookmarks (member_id, id DESC);
CREATE INDEX IF NOT EXISTS bookmarks_due ON bookmarks (remind_at) WHERE remind_at IS NOT NULL AND reminded_at IS NULL;

-- The kinds of notification, with the reminder of a bookmark (and those of
-- migration 0046).
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind = ANY (ARRAY['reply'::text,
    'mention'::text, 'quote'::text, 'like'::text, 'moderation'::text, 'watching'::text, 'new_thread'::text,
    'message'::text, 'bookmark_reminder'::text]));
