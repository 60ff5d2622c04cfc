-- notify_published (migration 0017) runs at every published post. Its one
-- statement was planned again at every call, 0.27 ms against 0.15 ms to
-- run it: PL/pgSQL keeps custom plans when the generic plan's estimate
-- looks costlier, which for this query (all lookups by key) it only looks.
-- The generic plan is the same shape, made once per connection.
ALTER FUNCTION notify_published(bigint) SET plan_cache_mode = force_generic_plan;
