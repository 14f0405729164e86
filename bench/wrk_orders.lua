-- wrk script for bench/orders.py: every request is `POST /api/v1/orders` of one unit of a SKU
-- for a buyer, both drawn at random from the file named by the script's argument (after `--`):
-- lines "buyer TOKEN ADDRESS_ID" and "sku SKU_ID". Each buyer's request head is built once, in
-- init; a request adds its body to it, so that it costs wrk about what the bare endpoint's fixed
-- request does. At the end: the request count and the mean latency (microseconds). No
-- percentile grid, unlike bench/wrk_latency.lua: wrk walks its latency array from the least to
-- the most for each percentile, and at this endpoint's latencies (up to a second: a million
-- microsecond slots) the grid cost more CPU than the whole load.
local heads, addresses, skus = {}, {}, {}

init = function(args)
  for line in io.lines(args[1]) do
    local kind, a, b = line:match("^(%S+) (%S+) ?(%S*)$")
    if kind == "buyer" then
      heads[#heads + 1] = "POST /api/v1/orders HTTP/1.1\r\nHost: " .. wrk.headers["Host"]
        .. "\r\nAuthorization: Bearer " .. a .. "\r\nContent-Type: application/json\r\n"
      addresses[#addresses + 1] = b
    elseif kind == "sku" then
      skus[#skus + 1] = a
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

request = function()
  local buyer = math.random(#heads)
  local body = '{"items":[{"sku_id":' .. skus[math.random(#skus)]
    .. ',"quantity":1}],"address_id":' .. addresses[buyer] .. "}"
  return heads[buyer] .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
end

done = function(summary, latency, requests)
  io.write(string.format("COUNT %d\nMEAN %d\n", summary.requests, latency.mean))
end
