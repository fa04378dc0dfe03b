-- rest.lua: wrk script for bench/rest. Sends X-API-Key (BENCH_API_KEY) on every request and prints one JSON
-- line at the end: requests, req/s, latency p50/p99/max (ms) and the error counts, for bench/tools/rest_table.py.
-- No response() callback: it would make wrk hand every body to Lua and halve its own speed; wrk already
-- counts non-2xx/3xx answers in summary.errors.status (the API answers 3xx only to If-None-Match, never sent).
wrk.headers["X-API-Key"] = os.getenv("BENCH_API_KEY") or ""

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
      '"non2xx":%d,"connect_err":%d,"read_err":%d,"write_err":%d,"timeouts":%d,"bytes":%d}\n',
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect, e.read, e.write, e.timeout, summary.bytes))
end
