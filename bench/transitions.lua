-- wrk script of bench/http_bench.py: POST /api/v1/nominations/{id}/transitions (start_nurturing), each request on a
-- distinct registered nomination of the pool file ("id version token" per line), each wrk thread on its own slice.
-- When a thread runs out of its slice it starts again from the first row: those requests answer 409 (stale
-- version) and wrk reports them as "Non-2xx": the pool was too small for the run.
local pool = {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_no", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == thread_no then
      local nid, version, token = line:match("^(%d+) (%d+) (%S+)$")
      if nid then table.insert(pool, {nid, version, token}) end
    end
    i = i + 1
  end
end

function request()
  counter = counter + 1
  local item = pool[((counter - 1) % #pool) + 1]
  local body = '{"action": "start_nurturing", "version": ' .. item[2] ..
      ', "nurture_plan": "Kế hoạch bồi dưỡng điển hình (benchmark)"}'
  return wrk.format("POST", "/api/v1/nominations/" .. item[1] .. "/transitions",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. item[3]}, body)
end
