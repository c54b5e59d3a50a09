-- wrk script for bench/load.py: cycles through the request mix in the file named by the
-- first argument (one "path<TAB>authorization" per line) and prints one JSON line.
local requests = {}
local next_request = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("^([^\t]*)\t?(.*)$")
    local headers = {}
    if token ~= "" then headers["Authorization"] = token end
    table.insert(requests, wrk.format("GET", path, headers))
  end
  -- each thread starts at its own place in the mix
  next_request = math.random(#requests)
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function done(summary, latency, _requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"errors_status": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_timeout": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, errors.status,
    errors.connect, errors.read, errors.write, errors.timeout))
end
