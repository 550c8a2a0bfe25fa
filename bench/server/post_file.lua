-- wrk script of the server benchmark (bench/server/bench.py sets the environment):
--   BENCH_BODY    file whose bytes are the request body (a PNG, or a multipart body for POST /test)
--   BENCH_CT      Content-Type header (default application/octet-stream)
--   BENCH_EXPECT  the expected response body, e.g. "2" (a 2xx with another body counts as "wrong")
--   BENCH_METHOD  POST (default) or PUT
-- Counts, per thread, non-2xx responses and 2xx responses with the wrong body, and prints one line
--   BENCH_JSON {"requests":...,"duration_us":...,"non2xx":...,"wrong":...,"connect":...,...,"p50_us":...}
-- at the end, with wrk's own socket error counts and latency percentiles (microseconds).
local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open BENCH_BODY " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

local body = slurp(os.getenv("BENCH_BODY"))
local ctype = os.getenv("BENCH_CT") or "application/octet-stream"
local expect = os.getenv("BENCH_EXPECT")
local method = os.getenv("BENCH_METHOD") or "POST"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local req
function init(args)
  non2xx = 0
  wrong = 0
  req = wrk.format(method, nil, { ["Content-Type"] = ctype, ["Content-Length"] = tostring(#body) }, body)
end

function request()
  return req
end

function response(status, headers, rbody)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif expect ~= nil and rbody ~= expect then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local n2, wr = 0, 0
  for _, t in ipairs(threads) do
    n2 = n2 + (t:get("non2xx") or 0)
    wr = wr + (t:get("wrong") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"wrong":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, n2, wr,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
