-- A tenant's rate limit as a GCRA (generic cell rate algorithm), the algorithm governor keeps in memory: one key
-- holds the theoretical arrival time (TAT) in microseconds of Redis's own clock, so replicas' clocks never meet.
-- KEYS[1]: the tenant's key. ARGV[1]: emission interval (µs per request). ARGV[2]: burst tolerance
-- ((burst - 1) × interval, µs). Returns 0 when admitted (and advances the TAT), else the wait in µs.
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now_us)
if tat < now_us then
  tat = now_us
end
local allowed_at = tat - tolerance
if now_us < allowed_at then
  return allowed_at - now_us
end
local next_tat = tat + interval
-- The key lives as long as it says anything: once the TAT is past, a fresh key means the same.
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now_us) / 1000) + 1)
return 0
