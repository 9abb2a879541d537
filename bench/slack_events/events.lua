-- wrk script for bench/slack_events/run.sh: sends the requests presign.py built and signed
-- beforehand, in order, so that wrk's core does no signing (signing each request here capped wrk
-- near 30,000 requests/s, below what nginx answers). Counts what it sent by kind and what came
-- back. One wrk thread (-t1): each thread would read the file from its start.
-- Environment: POOL (the file presign.py wrote); WRAP=1 starts over at its end (for the nginx
-- ceiling; for Tandem the file must be long enough: requests sent after its end are counted as
-- `repeated` and run.sh rejects the run). Prints one line `result {json}` at the end.
local pool_path = os.getenv("POOL") or error("POOL is not set")
local wrap = os.getenv("WRAP") == "1"
local pool
local byte_u, byte_r, byte_f = string.byte("u"), string.byte("r"), string.byte("f")

function init(args)
  pool = assert(io.open(pool_path, "rb"))
  unique, retried, forged, repeated = 0, 0, 0, 0
  ok, refused, other = 0, 0, 0
  wrapped = false
end

function request()
  local head = pool:read(8)
  if head == nil then
    pool:seek("set", 0)
    head = pool:read(8)
    wrapped = not wrap
  end
  local text = pool:read(tonumber(string.sub(head, 2)))
  local kind = string.byte(head, 1)
  if wrapped then
    repeated = repeated + 1
  elseif kind == byte_u then
    unique = unique + 1
  elseif kind == byte_r then
    retried = retried + 1
  elseif kind == byte_f then
    forged = forged + 1
  end
  return text
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 401 then
    refused = refused + 1
  else
    other = other + 1
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local totals = { unique = 0, retried = 0, forged = 0, repeated = 0, ok = 0, refused = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  io.write(string.format(
      'result {"unique":%d,"retried":%d,"forged":%d,"repeated":%d,"ok":%d,"refused":%d,"other":%d,' ..
          '"seconds":%.3f,"p50_us":%d,"p99_us":%d,"socket_errors":%d}\n',
      totals.unique, totals.retried, totals.forged, totals.repeated, totals.ok, totals.refused, totals.other,
      summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
