-- wrk script shared by cairn and the baseline: the same requests, the same Authorization header.
-- Configured from the environment by bench/__main__.py:
--   BENCH_SCENARIO  post | get
--   BENCH_AUTH      the Authorization header value (HTTP Basic), sent on every request
--   BENCH_SHAS      how many distinct commits (bounded, so POSTs are an insert/update mix)
--   BENCH_KEYS      how many build keys per commit
-- done() prints one line "BENCH_RESULT {json}" that the harness parses.

local scenario = os.getenv("BENCH_SCENARIO") or "post"
local auth = os.getenv("BENCH_AUTH")
local nshas = tonumber(os.getenv("BENCH_SHAS") or "64")
local nkeys = tonumber(os.getenv("BENCH_KEYS") or "4")

local BUILDS = "/rest/api/latest/projects/PRJ/repos/repo/commits/"
local STATS = "/rest/build-status/latest/commits/stats/"
local states = {"SUCCESSFUL", "FAILED", "INPROGRESS"}

-- Must match bench.__main__.commit_ids().
local shas = {}
for i = 0, nshas - 1 do
   shas[i + 1] = string.rep(string.format("%08x", 0x1b000000 + i), 5)
end

local post_headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
local get_headers = {["Authorization"] = auth}

local threads = 0
function setup(thread)
   thread:set("thread_id", threads)
   threads = threads + 1
end

function init(args)
   math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function request()
   local sha = shas[math.random(nshas)]
   if scenario == "get" then
      return wrk.format("GET", STATS .. sha, get_headers)
   end
   local k = math.random(nkeys) - 1
   local body = '{"key":"bench-' .. k .. '","state":"' .. states[math.random(3)] ..
      '","url":"https://ci.example.com/job/bench-' .. k .. '","name":"bench ' .. k ..
      '","description":"load test"}'
   return wrk.format("POST", BUILDS .. sha .. "/builds", post_headers, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
      '"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
