-- wrk script: GET <prefix><id><suffix>, ids read in order from a file (one URL-encoded id per
-- line), starting at an offset; each thread stops after max_requests responses (0 = no cap).
-- Usage: wrk -t1 -c16 -d10s -s wrk_ids.lua http://127.0.0.1:PORT -- IDS PREFIX SUFFIX OFFSET MAX
-- done() prints one JSON line starting with @@WRK@@ (latencies in microseconds).

local ids = {}
local prefix, suffix = "/", ""
local counter, offset, max_requests, responses = 0, 0, 0, 0

function init(args)
  local path = args[1]
  prefix = args[2] or "/"
  suffix = args[3] or ""
  offset = tonumber(args[4] or "0")
  max_requests = tonumber(args[5] or "0")
  for line in io.lines(path) do
    ids[#ids + 1] = line
  end
  counter = offset
end

function request()
  local id = ids[(counter % #ids) + 1]
  counter = counter + 1
  return wrk.format("GET", prefix .. id .. suffix)
end

function response(status, headers, body)
  responses = responses + 1
  if max_requests > 0 and responses >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '@@WRK@@{"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,' ..
    '"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
