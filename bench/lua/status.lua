-- Counts responses whose status is not 200, for the read pages and the baseline.
-- wrk's own "Non-2xx or 3xx" count lets redirects through; a page that redirects
-- under load is not the page we meant to measure. An optional argument "POST" makes
-- every request an empty POST (the write floor).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_ok = 0
  if args[1] == "POST" then
    wrk.method = "POST"
  end
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("not_ok")
  end
  io.write(string.format("BENCH not_ok=%d unmatched=0\n", total))
end
