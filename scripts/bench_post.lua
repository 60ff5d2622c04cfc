-- wrk script: creates replies through the whole moderation pipeline, each
-- body different (the guidelines refuse duplicates), spread over the
-- forum's threads and over many members as on a live forum: replies to one
-- thread queue on its row lock, one durable commit after the other, and a
-- single author would have every post lock their member row and skip the
-- history checks that members go through (BENCH_TOKENS: the posters'
-- tokens, comma-separated, from scripts/benchseed).
wrk.method = "POST"
local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do
  tokens[#tokens + 1] = "Bearer " .. t
end
local first = tonumber(os.getenv("BENCH_THREAD_FIRST"))
local count = tonumber(os.getenv("BENCH_THREADS"))
local n = 0
-- Bodies differ from one run to the next (the duplicates rule looks back
-- ten minutes): the run is named by its start time.
local id = tostring(os.time())

-- Each wrk thread has its own Lua state, and the same random numbers: number
-- them so that they do not all write to the same threads in step.
local created = 0
function setup(thread)
  created = created + 1
  thread:set("tid", created)
end

request = function()
  n = n + 1
  local thread = first + (n * 7919 + tid * 104729) % count
  local body = '{"body": "Réponse de mesure ' .. id .. '-' .. tid .. '-' .. n ..
    ' : le community manager anime la communauté et veille au respect de la charte. **Merci** à tous !"}'
  -- wrk.format takes these headers instead of wrk.headers.
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = tokens[1 + (n * 7877 + tid * 4099) % #tokens]}
  return wrk.format(nil, "/api/v1/threads/" .. thread .. "/posts", headers, body)
end

-- The 95th percentile, as for the pages (make bench runs wrk from the
-- repository's root).
dofile("scripts/bench_latency.lua")
