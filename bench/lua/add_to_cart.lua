-- Add to cart under load: many shoppers, each with its own session and cart.
--
-- bench/load.py signs the shoppers up before the run (a page GET for the session
-- cookie and the CSRF token from <meta name="csrf-token">, one add for the cart
-- cookie, one clear) and writes one shopper a line: cookie header, token, cart
-- cookie value, separated by tabs. wrk's Lua state is per thread, not per connection,
-- so each thread takes its share of the shoppers and hands every request to a shopper
-- with nothing in flight: like a person, a shopper waits for one answer before the
-- next click. The answer is matched to its shopper by the cart cookie the store sets
-- on every cart response. Each shopper alternates POST /cart/add.js (one unit) and
-- POST /cart/clear.js, so a cart never grows past the stock or the per-line limit and
-- every answer should be 200; anything else is counted as an error.
--
-- Arguments (after `--`): shoppers file, variant id, thread count, cart cookie name.
--
-- wrk calls request() once before the run to check the script; that call marks one
-- shopper of the first thread busy for good (and counts one add), which is harmless.

local threads = {}
local next_thread_index = 0

function setup(thread)
  thread:set("thread_index", next_thread_index)
  next_thread_index = next_thread_index + 1
  table.insert(threads, thread)
end

function init(args)
  local path, variant_id, thread_count = args[1], tonumber(args[2]), tonumber(args[3])
  cart_cookie_pattern = args[4] .. "=([^;]+)"
  shoppers = {}
  shopper_by_cart = {}
  local number = 0
  for line in io.lines(path) do
    if (number % thread_count) == thread_index then
      local cookie, token, cart = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
      local shopper = { cookie = cookie, token = token, busy = false, adds_next = true }
      table.insert(shoppers, shopper)
      shopper_by_cart[cart] = shopper
    end
    number = number + 1
  end
  add_body = string.format('{"id": %d, "quantity": 1}', variant_id)
  cursor = 0
  not_ok, unmatched, overlapped, adds, clears = 0, 0, 0, 0, 0
end

local function next_free_shopper()
  for _ = 1, #shoppers do
    cursor = cursor % #shoppers + 1
    if not shoppers[cursor].busy then
      return shoppers[cursor]
    end
  end
  -- Every shopper is waiting (should not happen with several per connection).
  overlapped = overlapped + 1
  cursor = cursor % #shoppers + 1
  return shoppers[cursor]
end

function request()
  local shopper = next_free_shopper()
  shopper.busy = true
  local path, body = "/cart/clear.js", "{}"
  if shopper.adds_next then
    path, body = "/cart/add.js", add_body
    adds = adds + 1
  else
    clears = clears + 1
  end
  shopper.adds_next = not shopper.adds_next
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["X-CSRFToken"] = shopper.token,
    ["Cookie"] = shopper.cookie,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
  local shopper = nil
  for name, value in pairs(headers) do
    if string.lower(name) == "set-cookie" then
      local cart = string.match(value, cart_cookie_pattern)
      shopper = cart and shopper_by_cart[cart]
    end
  end
  if shopper then
    shopper.busy = false
  else
    unmatched = unmatched + 1
  end
end

function done(summary, latency, requests)
  local totals = { not_ok = 0, unmatched = 0, overlapped = 0, adds = 0, clears = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  io.write(string.format(
    "BENCH not_ok=%d unmatched=%d overlapped=%d adds=%d clears=%d\n",
    totals.not_ok, totals.unmatched, totals.overlapped, totals.adds, totals.clears
  ))
end
