-- wrk script: creates replies through the whole moderation pipeline, each
-- body different (the guidelines refuse duplicates), spread over the
-- forum's threads as on a live forum (replies to one thread queue on its row
-- lock, one durable commit after the other: 64 writers on one thread would
-- measure the disk's fsync, not Palabre).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local first = tonumber(os.getenv("BENCH_THREAD_FIRST"))
local count = tonumber(os.getenv("BENCH_THREADS"))
local n = 0
local id = tostring(math.random(1, 1000000000))

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
  return wrk.format(nil, "/api/v1/threads/" .. thread .. "/posts", nil, body)
end
