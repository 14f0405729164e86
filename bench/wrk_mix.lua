-- wrk script for bench/mix.py: each request is a line drawn at random from the prepared file
-- (its path is the script's argument, after `--`); the X-Cache answers are counted, and at the
-- end the request count, the latency grid (as bench/wrk_latency.lua) and the cache's hits,
-- misses and the non-200 answers are printed. A second argument paces each connection: before
-- each request it waits a random time averaging that many milliseconds (exponential, like a
-- person between taps), so the load is a rate rather than as much as the server can take.
local paths = {}
local threads = {}
local pause_ms = 0

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  hits, misses, failures = 0, 0, 0
  pause_ms = tonumber(args[2] or "0") or 0
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

delay = function()
  if pause_ms <= 0 then return 0 end
  return math.floor(-pause_ms * math.log(1 - math.random()))
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

response = function(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
  local cache = headers["X-Cache"]
  if cache == "hit" then hits = hits + 1 elseif cache == "miss" then misses = misses + 1 end
end

done = function(summary, latency, requests)
  local h, m, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    m = m + thread:get("misses")
    f = f + thread:get("failures")
  end
  io.write(string.format("CACHE %d %d\nFAILURES %d\n", h, m, f))
  io.write(string.format("COUNT %d\n", summary.requests))
  local k = 50 -- hundredths of a percent
  while k < 10000 do
    io.write(string.format("PCT %.2f %d\n", k / 100, latency:percentile(k / 100)))
    if k < 9000 then k = k + 50 elseif k < 9900 then k = k + 10 else k = k + 1 end
  end
  io.write(string.format("PCT 100.00 %d\n", latency.max))
end
