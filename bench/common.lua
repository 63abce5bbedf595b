-- What load.lua and deployments.lua share, loaded by each of them with dofile() from beside itself:
-- wrk's setup() and init() (a random seed per thread), and done(), which prints the one line
-- "BENCH_RESULT {json}" that the harness parses (bench.__main__.wrk_run). Returns the helpers below.

local common = {}

-- n commit ids: the 8-hex-digit base + i, five times (bench.__main__.commit_ids, bench.deployments.post_commits).
function common.commit_ids(base, n)
   local shas = {}
   for i = 0, n - 1 do
      shas[i + 1] = string.rep(string.format("%08x", base + i), 5)
   end
   return shas
end

local threads = 0
function setup(thread)
   thread:set("thread_id", threads)
   threads = threads + 1
end

function init(args)
   math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
      '"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

return common
