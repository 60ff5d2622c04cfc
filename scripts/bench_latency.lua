-- wrk script of make bench's pages: prints the 95th percentile of the
-- latency, which wrk's --latency table (50, 75, 90, 99) leaves out and the
-- search target is about.
function done(summary, latency, requests)
  local ms = latency:percentile(95) / 1000
  if ms >= 1000 then
    io.write(string.format("p95 %.2fs\n", ms / 1000)) -- as wrk writes seconds
  else
    io.write(string.format("p95 %.2fms\n", ms))
  end
end
