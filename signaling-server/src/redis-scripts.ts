/**
 * The Lua scripts of `RedisRegistry`: each change of the shared registry is one script, so it is atomic over
 * every signaling process. Times come from Redis (`TIME`), never from a process's clock, so processes on
 * machines with skewed clocks agree on deadlines. Keys are computed inside the scripts from the prefix, which
 * a single Redis (or a primary with replicas) allows; Redis Cluster does not (see docs/deploy.md).
 *
 * Layout, under the prefix (mesh names and peer ids match ID_PATTERN, so neither holds `\n` nor `|`; a token
 * subject may hold anything, so it is always the last `|` field):
 * - `meshes` SET: meshes with members; `reserved-meshes` SET: meshes with reserved ids.
 * - `deadlines` ZSET: `mesh\npeerId` scored by the epoch ms past which the record expires.
 * - `peers:<mesh>` HASH: peerId → the record's JSON without its socket and keys (what members read).
 * - `control:<mesh>` HASH: peerId → `socketId|joinedAt|resumeKeyHash|subjectKey` (socketId empty in grace;
 *   subjectKey empty for an unbound token, else `s:` and the subject).
 * - `reserved:<mesh>` ZSET: peerId scored by the end of its reservation (µs); `subjects:<mesh>` HASH: its subject key.
 * Every per-mesh key gets an expiry (`keyTtlMs`) on each write and refresh, so a mesh whose processes all died
 * leaves nothing behind for long.
 */

const COMMON = `
local prefix = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Reservations are scored in microseconds (Redis TIME's own resolution, exact in a double until 2255) plus a
-- counter within the script, so that the oldest goes first when a mesh is over its cap, even within one ms.
local reservedSeq = 0
local function reserve_score(reserveMs)
  local t = redis.call('TIME')
  reservedSeq = reservedSeq + 1
  -- As an integer string: Lua would print a number this large with 14 significant digits only.
  return string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2]) + reserveMs * 1000 + reservedSeq)
end
local function split(v)
  return string.match(v, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
end
local function touch(mesh, keyTtl)
  redis.call('PEXPIRE', prefix .. 'peers:' .. mesh, keyTtl)
  redis.call('PEXPIRE', prefix .. 'control:' .. mesh, keyTtl)
end
-- Removes a record and reserves its id for its subject; returns what it removed, or nil.
local function drop(mesh, peerId, now, reserveMs, maxReserved, keyTtl)
  local control = prefix .. 'control:' .. mesh
  local c = redis.call('HGET', control, peerId)
  if not c then return nil end
  local socket, joined, hash, subject = split(c)
  local info = redis.call('HGET', prefix .. 'peers:' .. mesh, peerId)
  redis.call('HDEL', prefix .. 'peers:' .. mesh, peerId)
  redis.call('HDEL', control, peerId)
  redis.call('ZREM', prefix .. 'deadlines', mesh .. '\\n' .. peerId)
  if reserveMs > 0 then
    local reserved = prefix .. 'reserved:' .. mesh
    local subjects = prefix .. 'subjects:' .. mesh
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', reserved, '-inf', string.format('%.0f', now * 1000))) do redis.call('HDEL', subjects, id) end
    redis.call('ZREMRANGEBYSCORE', reserved, '-inf', string.format('%.0f', now * 1000))
    redis.call('ZADD', reserved, reserve_score(reserveMs), peerId)
    redis.call('HSET', subjects, peerId, subject)
    local n = redis.call('ZCARD', reserved)
    if n > maxReserved then
      for _, id in ipairs(redis.call('ZRANGE', reserved, 0, n - maxReserved - 1)) do redis.call('HDEL', subjects, id) end
      redis.call('ZREMRANGEBYRANK', reserved, 0, n - maxReserved - 1)
    end
    redis.call('PEXPIRE', reserved, reserveMs + keyTtl)
    redis.call('PEXPIRE', subjects, reserveMs + keyTtl)
    redis.call('SADD', prefix .. 'reserved-meshes', mesh)
  end
  if redis.call('HLEN', control) == 0 then redis.call('SREM', prefix .. 'meshes', mesh) end
  return { mesh, peerId, info or '', socket, joined, hash, subject }
end
`;

/**
 * ARGV: prefix, mesh, peerId, presented resume key hash (or ''), subjectKey, socketId, info JSON, new resume key
 * hash, liveTtlMs, keyTtlMs. Returns {'joined', joinedAt} | {'resumed', joinedAt, oldSocket, oldInfo} |
 * {'taken'} | {'reserved', heldSubjectKey, msLeft}.
 */
export const CLAIM = `${COMMON}
local mesh, peerId, presented, subject, socketId, info, newHash = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local liveTtl, keyTtl = tonumber(ARGV[9]), tonumber(ARGV[10])
local now = now_ms()
local control = prefix .. 'control:' .. mesh
local c = redis.call('HGET', control, peerId)
if not c then
  local reserved = prefix .. 'reserved:' .. mesh
  local untilUs = redis.call('ZSCORE', reserved, peerId)
  if untilUs and tonumber(untilUs) > now * 1000 then
    local held = redis.call('HGET', prefix .. 'subjects:' .. mesh, peerId) or ''
    if held ~= subject then return { 'reserved', held, tostring(math.floor(tonumber(untilUs) / 1000) - now) } end
  end
  redis.call('ZREM', reserved, peerId)
  redis.call('HDEL', prefix .. 'subjects:' .. mesh, peerId)
  redis.call('HSET', prefix .. 'peers:' .. mesh, peerId, info)
  redis.call('HSET', control, peerId, socketId .. '|' .. now .. '|' .. newHash .. '|' .. subject)
  redis.call('ZADD', prefix .. 'deadlines', now + liveTtl, mesh .. '\\n' .. peerId)
  redis.call('SADD', prefix .. 'meshes', mesh)
  touch(mesh, keyTtl)
  return { 'joined', tostring(now) }
end
local socket, joined, hash, held = split(c)
-- Hashes of 24 random bytes are compared here: timing tells nothing that helps find a key.
if presented == '' or hash ~= presented or held ~= subject then return { 'taken' } end
local before = redis.call('HGET', prefix .. 'peers:' .. mesh, peerId) or ''
redis.call('HSET', prefix .. 'peers:' .. mesh, peerId, info)
redis.call('HSET', control, peerId, socketId .. '|' .. joined .. '|' .. hash .. '|' .. held)
redis.call('ZADD', prefix .. 'deadlines', now + liveTtl, mesh .. '\\n' .. peerId)
touch(mesh, keyTtl)
return { 'resumed', joined, socket, before }
`;

/** ARGV: prefix, mesh, peerId, socketId, info JSON. Returns 1 when the record was still held by socketId. */
export const UPDATE = `${COMMON}
local c = redis.call('HGET', prefix .. 'control:' .. ARGV[2], ARGV[3])
if not c then return 0 end
local socket = split(c)
if socket ~= ARGV[4] then return 0 end
redis.call('HSET', prefix .. 'peers:' .. ARGV[2], ARGV[3], ARGV[5])
return 1
`;

/** ARGV: prefix, mesh, peerId, socketId, graceMs. Returns 1 when the record was still held by socketId. */
export const SUSPEND = `${COMMON}
local mesh, peerId = ARGV[2], ARGV[3]
local control = prefix .. 'control:' .. mesh
local c = redis.call('HGET', control, peerId)
if not c then return 0 end
local socket, joined, hash, subject = split(c)
if socket ~= ARGV[4] then return 0 end
redis.call('HSET', control, peerId, '|' .. joined .. '|' .. hash .. '|' .. subject)
redis.call('ZADD', prefix .. 'deadlines', now_ms() + tonumber(ARGV[5]), mesh .. '\\n' .. peerId)
return 1
`;

/** ARGV: prefix, mesh, peerId, socketId, reserveMs, maxReserved, keyTtlMs. Returns the removed record or nil. */
export const REMOVE = `${COMMON}
local c = redis.call('HGET', prefix .. 'control:' .. ARGV[2], ARGV[3])
if not c then return nil end
local socket = split(c)
if socket ~= ARGV[4] then return nil end
return drop(ARGV[2], ARGV[3], now_ms(), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]))
`;

/**
 * ARGV: prefix, limit, reserveMs, maxReserved, keyTtlMs. Removes up to `limit` records past their deadline.
 * Returns {peers, meshes, reservedIds, removed...} (gauges after the sweep, each removed record as in drop).
 */
export const EXPIRE = `${COMMON}
local now = now_ms()
local out = { 0, 0, 0 }
for _, member in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'deadlines', '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))) do
  local mesh, peerId = string.match(member, '^([^\\n]*)\\n(.*)$')
  local removed = mesh and drop(mesh, peerId, now, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
  if removed then table.insert(out, removed) else redis.call('ZREM', prefix .. 'deadlines', member) end
end
local reservedIds = 0
for _, mesh in ipairs(redis.call('SMEMBERS', prefix .. 'reserved-meshes')) do
  local reserved = prefix .. 'reserved:' .. mesh
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', reserved, '-inf', string.format('%.0f', now * 1000))) do redis.call('HDEL', prefix .. 'subjects:' .. mesh, id) end
  redis.call('ZREMRANGEBYSCORE', reserved, '-inf', string.format('%.0f', now * 1000))
  local n = redis.call('ZCARD', reserved)
  if n == 0 then redis.call('SREM', prefix .. 'reserved-meshes', mesh) end
  reservedIds = reservedIds + n
end
out[1] = redis.call('ZCARD', prefix .. 'deadlines')
out[2] = redis.call('SCARD', prefix .. 'meshes')
out[3] = reservedIds
return out
`;

/** ARGV: prefix, ttlMs, keyTtlMs, then (mesh, peerId, socketId) triples: pushes their deadlines back. */
export const REFRESH = `${COMMON}
local deadline = now_ms() + tonumber(ARGV[2])
local meshes = {}
for i = 4, #ARGV, 3 do
  local mesh, peerId = ARGV[i], ARGV[i + 1]
  local c = redis.call('HGET', prefix .. 'control:' .. mesh, peerId)
  if c and split(c) == ARGV[i + 2] then
    redis.call('ZADD', prefix .. 'deadlines', 'XX', deadline, mesh .. '\\n' .. peerId)
    meshes[mesh] = true
  end
end
for mesh in pairs(meshes) do touch(mesh, tonumber(ARGV[3])) end
return 0
`;
