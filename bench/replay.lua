-- wrk script: send the requests of a workload file in turn, on every connection, and print the
-- figures as one JSON line. Written by bench/load.py; usage: wrk ... -s replay.lua URL -- FILE SALT
-- File lines: "H<TAB>name<TAB>value" (a header of every request) or
-- "R<TAB>METHOD<TAB>PATH<TAB>CONTENT-TYPE<TAB>BODY" (the last two empty for a request without a body).
-- In a body, {n} becomes a number unique to the request (SALT, the thread and a counter).

local requests = {}
local next_index = 1
local counter = 0
local salt = ""
local thread_id = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local function split(line)
  local fields = {}
  for piece in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, piece)
  end
  return fields
end

function init(args)
  salt = args[2] or ""
  thread_id = wrk.thread:get("thread_id") or 0
  local headers = {}
  local raw = {}
  for line in io.lines(args[1]) do
    local f = split(line)
    if f[1] == "H" then
      headers[f[2]] = f[3]
    elseif f[1] == "R" then
      table.insert(raw, { method = f[2], path = f[3], content_type = f[4] or "", body = f[5] or "" })
    end
  end
  for _, r in ipairs(raw) do
    local body = r.body ~= "" and r.body or nil
    local own = {}
    for name, value in pairs(headers) do
      own[name] = value
    end
    if body then
      own["Content-Type"] = r.content_type
    end
    if body and body:find("{n}", 1, true) then
      table.insert(requests, { method = r.method, path = r.path, body = body, headers = own })
    else
      table.insert(requests, wrk.format(r.method, r.path, own, body))
    end
  end
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  if type(r) == "string" then
    return r
  end
  counter = counter + 1
  local n = salt .. thread_id .. "x" .. counter
  return wrk.format(r.method, r.path, r.headers, (r.body:gsub("{n}", n)))
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max
  ))
end
