-- New posts enter the full-text index through its pending list (GIN's
-- fastupdate), which every search reads in full: with the default limit
-- (4 MB, 512 pages) a search for a rare word spent most of its time there
-- after a day of posting (2.6 ms of 130 pages read for none found). A limit
-- of 512 kB keeps that under a millisecond; posts flush it eight times as
-- often, each flush eight times smaller.
ALTER INDEX posts_search SET (gin_pending_list_limit = 512);
