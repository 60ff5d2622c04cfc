-- wrk script: uploads a photo (BENCH_UPLOAD_FILE, from scripts/benchimage)
-- through POST /api/v1/uploads, as the posters (BENCH_TOKENS, trust level
-- 4: no daily limit). The same bytes each time: each upload is decoded and
-- encoded again, then found stored already (deduplicated), so the figures
-- are the image work and the request's, not the growth of the table.
wrk.method = "POST"
local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do
  tokens[#tokens + 1] = "Bearer " .. t
end
local f = assert(io.open(os.getenv("BENCH_UPLOAD_FILE"), "rb"))
local photo = f:read("*a")
f:close()
local boundary = "palabre-bench-upload"
local body = "--" .. boundary .. "\r\n" ..
  'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n' ..
  "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n--" .. boundary .. "--\r\n"
local n = 0

request = function()
  n = n + 1
  local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Authorization"] = tokens[1 + n % #tokens]}
  return wrk.format(nil, "/api/v1/uploads", headers, body)
end

dofile("scripts/bench_latency.lua")
