-- wrk script of make bench's pages: prints the 95th percentile of the
-- latency, which wrk's --latency table (50, 75, 90, 99) leaves out and the
-- search target is about.
function done(summary, latency, requests)
  io.write(string.format("p95 %.2fms\n", latency:percentile(95) / 1000))
end
