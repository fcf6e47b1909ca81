-- wrk script for bench/: each request is a random line of the file named by BENCH_URLS.
-- A line is "path" or "path<TAB>If-None-Match value". done() prints one JSON line (BENCHJSON ...)
-- with throughput, latency percentiles (µs), status codes and nginx X-Cache-Status counts.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  requests_ = {}
  statuses = {}
  cache = {}
  local file = os.getenv("BENCH_URLS")
  for line in io.lines(file) do
    local path, etag = line:match("^([^\t]+)\t?(.*)$")
    if path then
      local headers = {}
      if etag and etag ~= "" then headers["If-None-Match"] = etag end
      table.insert(requests_, wrk.format("GET", path, headers))
    end
  end
  if #requests_ == 0 then error("no URLs in " .. tostring(file)) end
  math.randomseed(os.time() * 97 + tid)
end

function request()
  return requests_[math.random(#requests_)]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local c = headers["X-Cache-Status"]
  if c then cache[c] = (cache[c] or 0) + 1 end
end

local function merge(into, from)
  for k, v in pairs(from) do into[tostring(k)] = (into[tostring(k)] or 0) + v end
end

local function json_table(t)
  local parts = {}
  for k, v in pairs(t) do table.insert(parts, string.format("%q:%d", k, v)) end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local all_status, all_cache = {}, {}
  for _, thread in ipairs(threads) do
    merge(all_status, thread:get("statuses"))
    merge(all_cache, thread:get("cache"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":%s,"cache":%s}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
    json_table(all_status), json_table(all_cache)))
end
