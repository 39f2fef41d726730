import { createHash, randomInt } from 'node:crypto'
import type { RedisClient } from './redis-connection'

export type Reply = string | number | null | Reply[]

// A stream's history is ONE Redis key. While it stores no entry, a string: its meta,
// `<epoch>:<top offset>`. Once it does, a list: the entries' data, oldest first, then the meta as
// the last element. Offsets are contiguous (every publication of an epoch is stored, but the one
// that starts it: see PUBLISH), so the entry at index i of n stored ones has offset
// `top - n + 1 + i` and entries carry nothing but their data. A list of short entries is one small
// listpack: a stream costs about 4 KB once it holds an entry (Redis 7 preallocates a stream node),
// a list of two ~100-byte entries about 460 B, and a string about 180 B where a one-element list
// costs 280 B (bench/README.md, history cost). One key also means history and epoch are evicted or
// deleted together, never one without the other.
//
// The meta, or a new epoch (a number: `newRedisEpoch`) with nothing stored when the key is missing
// or holds no meta (a key of another format is overwritten). No LLEN: a list's length, when needed,
// comes from what RPUSH or LRANGE return.
const EPOCH_OR_START = `
local kind = redis.call('type', KEYS[1]).ok
local meta = kind == 'list' and redis.call('lindex', KEYS[1], -1) or kind == 'string' and redis.call('get', KEYS[1])
local epoch, top = string.match(meta or '', '^(%d+):(%d+)$')
local started = not epoch
if started then
  epoch, top, kind = ARGV[1], 0, 'string'
  redis.call('set', KEYS[1], epoch .. ':0', 'EX', ARGV[2])
end
top = tonumber(top)`

// Appends to a stream and announces it in one step, so that history and live delivery cannot
// disagree: the entry takes the meta's place and the new meta follows it, the oldest entries past
// the history size go, and the key expires `ttl` seconds after the last publication. With a second
// key, the publication happens only if that claim is new (ingest: once whatever the nodes). The
// first publication of an epoch it starts itself is not stored: replaying offset 1 needs a client
// at offset 0 of that epoch, and nobody was told that position (a login or subscribe that starts an
// epoch tells `0`, and then publications are stored). A user who gets a push while nobody follows
// them costs a string.
// ARGV: epoch if none, ttl, data, history size, live channel, stream name, claim window (ms).
const PUBLISH = `
if #KEYS == 2 and not redis.call('set', KEYS[2], '1', 'NX', 'PX', ARGV[7]) then return false end
${EPOCH_OR_START}
local offset = top + 1
if started then
  redis.call('set', KEYS[1], epoch .. ':' .. offset, 'EX', ARGV[2])
else
  local length
  if kind == 'string' then
    redis.call('del', KEYS[1])
    length = redis.call('rpush', KEYS[1], ARGV[3], epoch .. ':' .. offset)
  else
    redis.call('lset', KEYS[1], -1, ARGV[3])
    length = redis.call('rpush', KEYS[1], epoch .. ':' .. offset)
  end
  local size = tonumber(ARGV[4])
  if length > size + 1 then redis.call('ltrim', KEYS[1], -size - 1, -1) end
  redis.call('expire', KEYS[1], ARGV[2])
end
redis.call('spublish', ARGV[5], ARGV[6] .. '\\n' .. epoch .. '\\n' .. offset .. '\\n' .. ARGV[3])
return {epoch, offset}
`

// A recovery in one round trip: the stream's epoch and top offset (starting an epoch if it has
// none: a new stream, or its history lost), whether it still holds every entry after the client's
// position, and those entries. Not recoverable: no position, another epoch, a position past the
// top, or entries after it trimmed. ARGV: epoch if none, ttl, the client's epoch ('' if none), its offset.
// Reply: epoch, top offset, 1 if recovered (else 0), the entries after the position (oldest first).
const RECOVER = `
${EPOCH_OR_START}
local missed = top - tonumber(ARGV[4])
if ARGV[3] ~= epoch or missed < 0 then return {epoch, top, 0, {}} end
if missed == 0 then return {epoch, top, 1, {}} end
local entries = kind == 'list' and redis.call('lrange', KEYS[1], -missed - 1, -2) or {}
if #entries < missed then return {epoch, top, 0, {}} end
return {epoch, top, 1, entries}
`

// A history page: the last `limit` entries the stream holds before a position (all its entries
// when there is none), none when that position is of another epoch. ARGV: epoch if none, ttl,
// limit, the position's epoch ('' if none), its offset. Reply: epoch, top offset, the offset of the
// page's first entry, the entries (oldest first).
const PAGE = `
${EPOCH_OR_START}
local last = top
if ARGV[4] ~= '' then
  if ARGV[4] ~= epoch then return {epoch, top, 0, {}} end
  last = math.min(top, tonumber(ARGV[5]) - 1)
end
-- Offset o is at index o - top - 2 (the meta is at -1); LRANGE stops at the list's head.
local entries = kind == 'list' and redis.call('lrange', KEYS[1], last - tonumber(ARGV[3]) + 1 - top - 2, last - top - 2) or {}
return {epoch, top, last - #entries + 1, entries}
`

// Channel presence: `<prefix>:members:<channel>` is a hash of user → `<node>=<sockets>@<expires at, ms>`
// entries joined by `,`, one per node with member sockets of that user. An entry past its time is a
// dead node's (it refreshes its own every third of the TTL) and no longer counts.
const LIVE_ENTRIES = `
local function live(value, now, except)
  local kept = {}
  if value then
    for node, sockets, expires in string.gmatch(value, '([^,=]+)=(%d+)@(%d+)') do
      if tonumber(expires) > now and node ~= except then table.insert(kept, node .. '=' .. sockets .. '@' .. expires) end
    end
  end
  return kept
end
local function store(user, kept)
  if #kept > 0 then redis.call('hset', KEYS[1], user, table.concat(kept, ',')) else redis.call('hdel', KEYS[1], user) end
end`

// Sets this node's entry for one user; 1: the user joined the channel (no live entry before, one
// now), -1: left, 0: neither. ARGV: user, node, sockets (0: none), expires at, now, ttl (s).
const MEMBER = `
${LIVE_ENTRIES}
local now = tonumber(ARGV[5])
local value = redis.call('hget', KEYS[1], ARGV[1])
local before = #live(value, now, nil) > 0
local kept = live(value, now, ARGV[2])
if tonumber(ARGV[3]) > 0 then table.insert(kept, ARGV[2] .. '=' .. ARGV[3] .. '@' .. ARGV[4]) end
store(ARGV[1], kept)
redis.call('expire', KEYS[1], ARGV[6])
if #kept > 0 and not before then return 1 end
if before and #kept == 0 then return -1 end
return 0
`

// A node's refresh of one channel: drops every entry past its time and this node's own, writes
// this node's entries for the users it has (ARGV from 5: user, sockets, ...), and returns the users
// no longer in the channel (a dead node's, mostly). ARGV: node, expires at, now, ttl (s).
const SWEEP = `
${LIVE_ENTRIES}
local now = tonumber(ARGV[3])
local users = {}
local all = redis.call('hgetall', KEYS[1])
for i = 1, #all, 2 do users[all[i]] = live(all[i + 1], now, ARGV[1]) end
for i = 5, #ARGV, 2 do
  users[ARGV[i]] = users[ARGV[i]] or {}
  table.insert(users[ARGV[i]], ARGV[1] .. '=' .. ARGV[i + 1] .. '@' .. ARGV[2])
end
local left = {}
for user, kept in pairs(users) do
  store(user, kept)
  if #kept == 0 then table.insert(left, user) end
end
if #all > 0 or #ARGV > 4 then redis.call('expire', KEYS[1], ARGV[4]) end
return left
`

/** A new epoch for a Redis stream: a number, the form EPOCH_OR_START expects of a meta `<epoch>:<offset>`. */
export const newRedisEpoch = () => String(randomInt(1, 2 ** 48))

export type ScriptName = 'publish' | 'recover' | 'page' | 'member' | 'sweep'
export type RunScript = (name: ScriptName, keys: string[], args: string[]) => Promise<Reply>

/**
 * The runner of the engine's Lua scripts: it calls one by EVALSHA, and by EVAL (which loads it) where
 * Redis does not hold it: a restart, or a cluster node that has not run it yet (SCRIPT LOAD would
 * reach one node of a cluster only).
 */
export async function loadScripts(commands: RedisClient): Promise<RunScript> {
  const scripts = {
    publish: { source: PUBLISH, sha: '' },
    recover: { source: RECOVER, sha: '' },
    page: { source: PAGE, sha: '' },
    member: { source: MEMBER, sha: '' },
    sweep: { source: SWEEP, sha: '' },
  }
  for (const script of Object.values(scripts)) script.sha = createHash('sha1').update(script.source).digest('hex')

  return async function run(name, keys, args) {
    const script = scripts[name]
    const call = (command: string, body: string) => commands.sendCommand([command, body, String(keys.length), ...keys, ...args]) as Promise<Reply>
    try {
      return await call('EVALSHA', script.sha)
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error
      return call('EVAL', script.source)
    }
  }
}
