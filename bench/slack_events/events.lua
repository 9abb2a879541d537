-- wrk script for bench/slack_events/run.sh: signed Slack Events API `message` events, each with a
-- unique `ts` (Tandem's dedup key for messages), about 5% of them resent as Slack's retries
-- (`X-Slack-Retry-Num`) and about 1% signed with a wrong secret (in channel C0BAD, so the run can
-- check that none of them left a row). Signatures are HMAC-SHA256 from libcrypto through LuaJIT's FFI.
-- Environment: SLACK_SIGNING_SECRET. Prints one line `result {json}` at the end.
local ffi = require("ffi")
ffi.cdef [[
const void *EVP_sha256(void);
unsigned char *HMAC(const void *evp_md, const void *key, int key_len, const unsigned char *data, size_t data_len,
                    unsigned char *md, unsigned int *md_len);
]]
local crypto = ffi.load("crypto")
local secret = os.getenv("SLACK_SIGNING_SECRET") or error("SLACK_SIGNING_SECRET is not set")
local digest = ffi.new("unsigned char[32]")
local digest_length = ffi.new("unsigned int[1]")

local function signature(key, text)
  crypto.HMAC(crypto.EVP_sha256(), key, #key, text, #text, digest, digest_length)
  local hex = {}
  for i = 0, 31 do hex[i + 1] = string.format("%02x", digest[i]) end
  return "v0=" .. table.concat(hex)
end

local threads = {}
function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  unique, retried, forged = 0, 0, 0
  ok, refused, other = 0, 0, 0
  math.randomseed(1000 + index)
end

local function message_event(channel, ts)
  return '{"token":"x","team_id":"T0123ABCD","api_app_id":"A1","type":"event_callback","event_id":"Ev' ..
             string.gsub(ts, "%.", "") .. '","event_time":' .. os.time() ..
             ',"event":{"type":"message","channel":"' .. channel .. '","channel_type":"channel","user":"U0123EMMA",' ..
             '"text":"The survey team counted 42 herons this morning","ts":"' .. ts .. '"}}'
end

local function ts_of(n)
  -- Unique per thread and message: the thread's own second, and the message number after the dot.
  return string.format("%d.%06d", 1700000000 + index * 10 + math.floor(n / 1000000), n % 1000000)
end

function request()
  local roll = math.random(100)
  local body, key, retry
  if roll <= 5 and unique > 0 then
    retried = retried + 1
    body, key, retry = message_event("C0123RIVER", ts_of(math.random(unique))), secret, true
  elseif roll == 6 then
    forged = forged + 1
    body, key = message_event("C0BAD", ts_of(forged)), "not-the-signing-secret"
  else
    unique = unique + 1
    body, key = message_event("C0123RIVER", ts_of(unique)), secret
  end
  local now = tostring(os.time())
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Slack-Request-Timestamp"] = now,
    ["X-Slack-Signature"] = signature(key, "v0:" .. now .. ":" .. body),
  }
  if retry then headers["X-Slack-Retry-Num"] = "1" end
  return wrk.format("POST", nil, headers, body)
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

function done(summary, latency, requests)
  local totals = { unique = 0, retried = 0, forged = 0, ok = 0, refused = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  io.write(string.format(
      'result {"unique":%d,"retried":%d,"forged":%d,"ok":%d,"refused":%d,"other":%d,' ..
          '"seconds":%.3f,"p50_us":%d,"p99_us":%d,"socket_errors":%d}\n',
      totals.unique, totals.retried, totals.forged, totals.ok, totals.refused, totals.other,
      summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
