-- Community health (issue 25), continued: the most active members of a
-- range read from the months (health_member_months) sum every member's
-- posts over every month the range touches, reading each row's arrays
-- (a million-post forum: 100,000 rows for 31 days across two months).
-- Each row's running totals at the ends of its month's quarters (days 7,
-- 14 and 21, and the month's total) bound what the member posted over any
-- run of days of the month: the quarters that hold the run. PostgreSQL
-- derives them from the arrays, whichever release's job wrote the row
-- (the previous one's too, during a rolling upgrade), and an index holds
-- them beside the keys, so that the bounds of every member are read
-- without the arrays and only the members whose bound can reach the list
-- have their exact figures read (forum/dashboard_ranges.go). Generated
-- columns and an index: the previous release reads none of them.
ALTER TABLE health_member_months
    ADD COLUMN IF NOT EXISTS posts_to_7 integer GENERATED ALWAYS AS (coalesce(posts[width_bucket(7::smallint, days)], 0)) STORED,
    ADD COLUMN IF NOT EXISTS posts_to_14 integer GENERATED ALWAYS AS (coalesce(posts[width_bucket(14::smallint, days)], 0)) STORED,
    ADD COLUMN IF NOT EXISTS posts_to_21 integer GENERATED ALWAYS AS (coalesce(posts[width_bucket(21::smallint, days)], 0)) STORED,
    ADD COLUMN IF NOT EXISTS posts_total integer GENERATED ALWAYS AS (coalesce(posts[cardinality(posts)], 0)) STORED;

CREATE INDEX IF NOT EXISTS health_member_months_quarters ON health_member_months (month, member_id)
    INCLUDE (posts_to_7, posts_to_14, posts_to_21, posts_total);
