-- public.lua: wrk script for bench/public. Plays a CDN in front of elpyfi: every request comes from 127.0.0.1 (the
-- bench nginx trusts it, ELPYFI_TRUSTED_PROXIES) and names its viewer in X-Forwarded-For, one of BENCH_VIEWERS
-- addresses (10.0.x.y), round-robin per thread, so each viewer polls about once a second (delay() below) and every
-- per-address limit counts viewers. BENCH_API_KEY set: the same viewers with a key. One JSON line at the end:
-- latency p50/p99/max (ms) and the answers by status (200, 429, other), for bench/public's table.
local viewers = tonumber(os.getenv("BENCH_VIEWERS") or "1000")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local key = os.getenv("BENCH_API_KEY") or ""
-- BENCH_GREEDY=1: a few viewers (10.1.x.y) polling every BENCH_GREEDY_MS (50 ms): over the anonymous limit on
-- purpose, so the run shows the intended 429s beside the polite crowd.
local greedy = os.getenv("BENCH_GREEDY") == "1"
local period = greedy and tonumber(os.getenv("BENCH_GREEDY_MS") or "50") or 1000
local prefix = greedy and "10.1" or "10.0"
local counter = 0
local started = 0
local first, per_thread = 0, 0
statuses = {}
local all_threads = {}

function setup(thread)
   thread:set("id", #all_threads)
   table.insert(all_threads, thread)
end

function init(args)
   per_thread = math.floor(viewers / threads)
   first = id * per_thread
   math.randomseed(os.time() + id)
   if key ~= "" then wrk.headers["X-API-Key"] = key end
end

-- Each connection's first request comes at a random moment of the first second (viewers arrive spread out, as
-- browsers polling on their own clocks do); then one request a second per connection.
function delay()
   started = started + 1
   if started <= per_thread then return math.random(0, period) end
   return period
end

function request()
   local n = first + (counter % per_thread)
   counter = counter + 1
   wrk.headers["X-Forwarded-For"] = string.format("%s.%d.%d", prefix, math.floor(n / 250), n % 250 + 1)
   return wrk.format(nil)
end

function response(status, headers, body)
   local k = (status == 200 or status == 429) and tostring(status) or "other"
   statuses[k] = (statuses[k] or 0) + 1
end

function done(summary, latency, requests)
   local s = {["200"] = 0, ["429"] = 0, other = 0}
   for _, t in ipairs(all_threads) do
      for _, k in ipairs({"200", "429", "other"}) do
         s[k] = s[k] + ((t:get("statuses") or {})[k] or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
      '"s200":%d,"s429":%d,"other":%d,"connect_err":%d,"read_err":%d,"timeouts":%d}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      s["200"], s["429"], s.other, e.connect, e.read, e.timeout))
end
