-- wrk script for bench/arena_votes.py: posts each prepared battle's vote exactly once.
-- Arguments: FILE (one battle path per line), COOKIE, CSRF, THREADS.
-- Thread k sends lines k, k+THREADS, and so on. A thread stops once its share is sent, so it
-- adds no other load. done() prints the number of votes sent as one JSON line.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local every = tonumber(args[4])
  paths, next_index = {}, 1
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % every == id then
      table.insert(paths, line .. "/vote")
    end
    line_number = line_number + 1
  end
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "modelvs_client=" .. args[2],
  }
  body = "csrf=" .. args[3] .. "&outcome=model_a"
  -- wrk calls request() once on the first thread to check for pipelining and never sends that
  -- request. That call gets a health check, so no vote is skipped.
  if id == 0 then
    next_index = 0
  end
end

function request()
  if next_index == 0 then
    next_index = 1
    return wrk.format("GET", "/healthz")
  end
  local path = paths[next_index]
  if path == nil then
    -- Every vote of this thread is sent; the server still stores those in flight.
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  next_index = next_index + 1
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local sent = 0
  for _, thread in ipairs(threads) do
    sent = sent + #thread:get("paths")
  end
  io.write(string.format('{"sent": %d}\n', sent))
end
