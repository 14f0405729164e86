-- wrk script for bench/browse.py: at the end of a run, print the request count and the latency
-- (microseconds) at a grid of percentiles, finer towards the tail, so that the slices of a case
-- can be merged into one distribution and the whole case's p50 and p99 read off it.
done = function(summary, latency, requests)
  io.write(string.format("COUNT %d\n", summary.requests))
  local k = 50 -- hundredths of a percent
  while k < 10000 do
    io.write(string.format("PCT %.2f %d\n", k / 100, latency:percentile(k / 100)))
    if k < 9000 then k = k + 50 elseif k < 9900 then k = k + 10 else k = k + 1 end
  end
  io.write(string.format("PCT 100.00 %d\n", latency.max)) -- percentile(100) answers 0
end
