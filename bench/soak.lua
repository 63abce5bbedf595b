-- wrk script of `python -m bench.soak`: one kind of request per wrk process, so each process's counts are
-- one kind's. Every write is new (a fresh commit, key or sequence number), so the rows it stores can be
-- counted against the writes acknowledged. Configured from the environment by bench/soak.py:
--   BENCH_KIND      build | stats | annotations | deployment
--   BENCH_AUTH      the Authorization header value (HTTP Basic), sent on every request
--   BENCH_BASE      a number that makes this run's commit ids its own (8 hex digits, repeated)
--   BENCH_DELAY_MS  pause of each connection before each request; 0 asks as fast as it can (the peak)
--   BENCH_SECONDS   after this long every connection asks GET /status instead, so every write sent is
--                   answered before wrk stops (wrk's own duration is a few seconds longer)
--   BENCH_REPORTS   annotations: how many reports the harness made on commits BENCH_BASE + 0.. (100 POSTs
--                   of 5 annotations each go to one report, well under its 1000)
-- setup() and init() are common.lua's; done() prints "BENCH_RESULT {json}" with the acknowledged count.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "common.lua")

local kind = os.getenv("BENCH_KIND")
local auth = os.getenv("BENCH_AUTH")
local base = tonumber(os.getenv("BENCH_BASE"))
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local seconds = tonumber(os.getenv("BENCH_SECONDS"))
local reports = tonumber(os.getenv("BENCH_REPORTS") or "0")

local REPO = "/rest/api/latest/projects/PRJ/repos/repo/commits/"
local INSIGHTS = "/rest/insights/latest/projects/PRJ/repos/repo/commits/"
local post_headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
local get_headers = {["Authorization"] = auth}

local function sha(n)
   return string.rep(string.format("%08x", base + n), 5)
end

local threads = {}
local common_setup = setup
function setup(thread)
   common_setup(thread)
   table.insert(threads, thread)
end

local common_init = init
function init(args)
   common_init(args)
   deadline = os.time() + seconds
   n, acked, failed = 0, 0, 0
end

if delay_ms > 0 then
   function delay()
      return delay_ms
   end
end

function request()
   if os.time() >= deadline then
      return wrk.format("GET", "/status")
   end
   n = n + 1
   if kind == "build" then
      return wrk.format("POST", REPO .. sha(math.floor(n / 3)) .. "/builds", post_headers,
         '{"key":"soak-' .. n % 3 .. '","state":"SUCCESSFUL","url":"https://ci.example.com/soak/' .. n ..
         '","name":"soak ' .. n .. '","description":"soak test"}')
   elseif kind == "stats" then
      return wrk.format("GET", "/rest/build-status/latest/commits/stats/" .. sha(math.random(1000)), get_headers)
   elseif kind == "annotations" then
      local body = {}
      for i = 1, 5 do
         body[i] = '{"path":"src/soak/' .. n .. '.py","line":' .. i .. ',"message":"finding ' .. i ..
            ' of post ' .. n .. '","severity":"MEDIUM","type":"CODE_SMELL"}'
      end
      return wrk.format("POST", INSIGHTS .. sha(math.floor(n / 100) % reports) .. "/reports/soak/annotations", post_headers,
         '{"annotations":[' .. table.concat(body, ",") .. ']}')
   end
   return wrk.format("POST", REPO .. sha(n) .. "/deployments", post_headers,
      '{"deploymentSequenceNumber":' .. n .. ',"key":"soak","displayName":"soak #' .. n ..
      '","description":"soak","url":"https://ci.example.com/deploy/' .. n .. '","state":"SUCCESSFUL",' ..
      '"environment":{"key":"env-' .. n % 100 .. '","displayName":"Environment ' .. n % 100 ..
      '","type":"TESTING"}}')
end

function response(status, headers, body)
   if body == '{"state":"RUNNING"}' then
      return  -- the filler after the deadline
   end
   local ok = (status == 204 and (kind == "build" or kind == "annotations"))
      or (status == 200 and kind == "stats" and body:find('"successful"', 1, true))
      or (status == 200 and kind == "deployment" and body:find('"deploymentSequenceNumber"', 1, true))
   if ok then
      acked = acked + 1
   else
      failed = failed + 1
   end
end

function done(summary, latency, requests)
   local total_acked, total_failed = 0, 0
   for _, thread in ipairs(threads) do
      total_acked = total_acked + thread:get("acked")
      total_failed = total_failed + thread:get("failed")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"acked":%d,"failed":%d,"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
      '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
      total_acked, total_failed, summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
