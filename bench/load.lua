-- wrk script shared by cairn and the baseline: the same requests, the same Authorization header.
-- Configured from the environment by bench/__main__.py:
--   BENCH_SCENARIO  post | get
--   BENCH_AUTH      the Authorization header value (HTTP Basic), sent on every request
--   BENCH_SHAS      how many distinct commits (bounded, so POSTs are an insert/update mix)
--   BENCH_KEYS      how many build keys per commit
-- setup(), init() and done() (the "BENCH_RESULT {json}" line the harness parses) are common.lua's.

-- The script's own folder, from the path wrk was given (-s): common.lua lies beside it.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "common.lua")

local scenario = os.getenv("BENCH_SCENARIO") or "post"
local auth = os.getenv("BENCH_AUTH")
local nshas = tonumber(os.getenv("BENCH_SHAS") or "64")
local nkeys = tonumber(os.getenv("BENCH_KEYS") or "4")

local BUILDS = "/rest/api/latest/projects/PRJ/repos/repo/commits/"
local STATS = "/rest/build-status/latest/commits/stats/"
local states = {"SUCCESSFUL", "FAILED", "INPROGRESS"}

-- Must match bench.__main__.commit_ids().
local shas = common.commit_ids(0x1b000000, nshas)

local post_headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
local get_headers = {["Authorization"] = auth}

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
