-- wrk script for every benchmark scenario; SCENARIO picks one, TASKS_FILE lists "user id" lines.
local scenario = os.getenv("SCENARIO")
local tasks = {}
for line in io.lines(os.getenv("TASKS_FILE")) do
  local user, id = line:match("(%S+) (%S+)")
  tasks[#tasks + 1] = { user, id }
end
-- TOKENS_FILE (with TODO_AUTH=jwt): "user token" lines, each user's bearer token.
local tokens = {}
if os.getenv("TOKENS_FILE") then
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    local user, token = line:match("(%S+) (%S+)")
    tokens[user] = { Authorization = "Bearer " .. token }
  end
end
local create_body = '{"title": "benchmark task", "description": "created under load"}'

local function pick() return tasks[math.random(#tasks)] end
local function headers(user) return tokens[user] end

local function list() local t = pick(); return wrk.format("GET", "/api/" .. t[1] .. "/tasks", headers(t[1])) end
local function get_one() local t = pick(); return wrk.format("GET", "/api/" .. t[1] .. "/tasks/" .. t[2], headers(t[1])) end
local function toggle()
  local t = pick(); return wrk.format("PATCH", "/api/" .. t[1] .. "/tasks/" .. t[2] .. "/complete", headers(t[1]))
end
-- New tasks go to other users, so the listed users keep their 20 tasks.
local function create()
  local user = "writer-" .. math.random(50)
  local sent = { ["Content-Type"] = "application/json", Authorization = (tokens[user] or {}).Authorization }
  return wrk.format("POST", "/api/" .. user .. "/tasks", sent, create_body)
end

local function mixed()
  local roll = math.random(100)
  if roll <= 70 then return list() elseif roll <= 85 then return get_one() elseif roll <= 95 then return toggle() end
  return create()
end

local scenarios = { list = list, get = get_one, toggle = toggle, create = create, mixed = mixed }
request = scenarios[scenario]

math.randomseed(os.time())

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
