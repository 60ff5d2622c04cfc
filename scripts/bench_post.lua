-- wrk script: creates replies through the whole moderation pipeline, each
-- body different (the guidelines refuse duplicates).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
local n = 0
local id = tostring(math.random(1, 1000000000))

request = function()
  n = n + 1
  local body = '{"body": "Réponse de mesure ' .. id .. '-' .. n ..
    ' : le community manager anime la communauté et veille au respect de la charte. **Merci** à tous !"}'
  return wrk.format(nil, path, nil, body)
end
