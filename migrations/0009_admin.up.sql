-- Administration: the people list searches members by the beginning of
-- their name or address; the community-health dashboard reads bounded
-- windows (the last 30 days) of sign-ups, threads, visits and review items.

-- LIKE 'prefix%' can use a btree only with the pattern operator class
-- (the database's collation is not C).
CREATE INDEX members_username_prefix ON members (username_key text_pattern_ops);
CREATE INDEX members_email_prefix ON members (email_key text_pattern_ops);

-- New members per day, new threads per day.
CREATE INDEX members_created ON members (created_at);
CREATE INDEX threads_created ON threads (created_at);

-- Active members over 1, 7 and 30 days (member_visits' key starts with
-- the member).
CREATE INDEX member_visits_day ON member_visits (day);

-- Response times of the review queue over the window, whatever the status.
CREATE INDEX review_items_created ON review_items (created_at);

-- Reports per day.
CREATE INDEX reports_created ON reports (created_at);
