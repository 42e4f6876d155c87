-- wrk script: sends pre-signed Slack requests (written by bench/delivery.py), each once,
-- split between wrk's threads, then stops; prints latency percentiles as one JSON line.
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1] .. "." .. id
  requests = {}
  local file = assert(io.open(path, "r"))
  while true do
    local ts = file:read("*l")
    if not ts then break end
    local signature = file:read("*l")
    local kind = file:read("*l")
    local body = file:read("*l")
    local headers = {
      ["Content-Type"] = kind,
      ["X-Slack-Request-Timestamp"] = ts,
      ["X-Slack-Signature"] = signature,
    }
    table.insert(requests, wrk.format("POST", nil, headers, body))
  end
  file:close()
  sent, answered, failed = 0, 0, 0
end

function request()
  sent = sent + 1
  return requests[((sent - 1) % #requests) + 1]
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then failed = failed + 1 end
  if answered >= #requests then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local failed_total = 0
  for _, thread in ipairs(threads) do failed_total = failed_total + thread:get("failed") end
  io.write(string.format(
    '{"wrk_requests": %d, "wrk_non_200": %d, "ack_p50_ms": %.1f, "ack_p99_ms": %.1f, "ack_max_ms": %.1f}\n',
    summary.requests, failed_total, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
