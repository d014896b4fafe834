-- One failed authentication of an (address, credential) pair. KEYS[1]: the pair's key. ARGV[1]: failures allowed.
-- ARGV[2]: the window in ms. Returns 0 when counted (the window restarts), else the ms until the pair is forgotten
-- (a refused attempt is not counted, so the window runs from the last counted failure).
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then
  local left = redis.call('PTTL', KEYS[1])
  if left < 1 then
    left = 1
  end
  return left
end
redis.call('SET', KEYS[1], failures + 1, 'PX', ARGV[2])
return 0
