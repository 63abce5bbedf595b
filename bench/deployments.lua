-- wrk script of `python -m bench.deployments` (cairn's side; the baseline is driven by load.lua's "post").
-- Configured from the environment by bench/deployments.py:
--   BENCH_SCENARIO  post | environments
--   BENCH_AUTH      the Authorization header value (HTTP Basic), sent on every request
--   BENCH_SHAS, BENCH_KEYS, BENCH_ENVS, BENCH_SEQS
--                   post: how many commits, deployment keys, environments and sequence numbers the bodies
--                   are drawn from (bounded, so the POSTs are an insert/update mix)
--   BENCH_REPO      post: the repository posted to (default repo)
--   BENCH_ENV_KEYS  post: the environment keys' format (default env-%d; the seeded history's is env-%03d)
--   BENCH_PATH      environments: the path (and query) to GET
-- setup(), init() and done() (the "BENCH_RESULT {json}" line the harness parses) are common.lua's.

-- The script's own folder, from the path wrk was given (-s): common.lua lies beside it.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "common.lua")

local scenario = os.getenv("BENCH_SCENARIO") or "post"
local auth = os.getenv("BENCH_AUTH")
local nshas = tonumber(os.getenv("BENCH_SHAS") or "32")
local nkeys = tonumber(os.getenv("BENCH_KEYS") or "2")
local nenvs = tonumber(os.getenv("BENCH_ENVS") or "4")
local nseqs = tonumber(os.getenv("BENCH_SEQS") or "4")
local get_path = os.getenv("BENCH_PATH") or "/rest/api/1.0/projects/PRJ/repos/history/environments"

local COMMITS = "/rest/api/1.0/projects/PRJ/repos/" .. (os.getenv("BENCH_REPO") or "repo") .. "/commits/"
local env_keys = os.getenv("BENCH_ENV_KEYS") or "env-%d"
local states = {"IN_PROGRESS", "SUCCESSFUL", "FAILED"}
local types = {"DEVELOPMENT", "TESTING", "STAGING", "PRODUCTION"}

-- Must match bench.deployments.post_commits().
local shas = common.commit_ids(0x2d000000, nshas)

-- What Atlassian's Jenkins plugin sends: OkHttp's JSON media type, its User-Agent, X-Atlassian-Token.
local post_headers = {["Authorization"] = auth, ["Content-Type"] = "application/json; charset=utf-8",
                      ["User-Agent"] = "bitbucket-jenkins-integration/4.1.3", ["X-Atlassian-Token"] = "no-check"}
local get_headers = {["Authorization"] = auth}

function request()
   if scenario == "environments" then
      return wrk.format("GET", get_path, get_headers)
   end
   local sha = shas[math.random(nshas)]
   local k = math.random(nkeys) - 1
   local e = math.random(nenvs) - 1
   local seq = math.random(nseqs)
   -- The plugin's body shape (api-notes section 6), members in the order it serialises them.
   local body = '{"deploymentSequenceNumber":' .. seq .. ',"description":"Deploy build #' .. seq ..
      '","displayName":"app-' .. k .. ' #' .. seq .. '","environment":{"key":"' .. string.format(env_keys, e) ..
      '","displayName":"Environment ' .. e .. '","type":"' .. types[e % 4 + 1] ..
      '","url":"https://env-' .. e .. '.example.com"},"key":"app-' .. k .. '","state":"' ..
      states[math.random(3)] .. '","url":"https://jenkins.example.com/job/app-' .. k .. '/' .. seq .. '/"}'
   return wrk.format("POST", COMMITS .. sha .. "/deployments", post_headers, body)
end
