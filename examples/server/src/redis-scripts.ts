import { createHash, randomInt } from 'node:crypto'
import type { RedisClient } from './redis-connection'

export type Reply = string | number | null | Reply[]

// A stream's epoch is a number (`newRedisEpoch`): each entry's id is `<offset>-<epoch>`, so an entry
// read from a stream tells by itself which epoch it belongs to. A recovery can then read the entries
// after a client's offset with one XRANGE and no script: what it finds is the client's history only
// if every entry carries the client's epoch and they start right after its offset.
//
// Entries belong to the epoch of the meta hash. The two keys can part (maxmemory eviction picks keys
// one by one, or someone deletes one): when the meta hash is gone (or holds an epoch of an older
// format) and a new epoch is started, the entries left in the stream key are of the lost epoch and
// are dropped with it, so XADD of the new epoch's first id is never refused as lower than theirs.
const EPOCH_OR_START = `
local epoch = redis.call('hget', KEYS[2], 'e')
local started = false
if not epoch or not string.match(epoch, '^%d+$') then
  epoch = ARGV[1]
  started = true
  redis.call('del', KEYS[1])
  redis.call('hset', KEYS[2], 'e', epoch, 'o', 0)
  redis.call('expire', KEYS[2], ARGV[2])
end`

// Appends to a stream and announces it in one step, so that history and live delivery cannot
// disagree: the offset comes from the stream's meta hash, and both keys expire `ttl` seconds after
// the last publication. With a third key, the publication happens only if that claim is new
// (ingest: once whatever the nodes). The first publication of an epoch it starts itself is not
// stored: replaying offset 1 needs a client at offset 0 of that epoch, and nobody was told that
// position (a login or subscribe that starts an epoch tells `0`, and then publications are stored).
// This spares a stream (about 4 KB in Redis 7) per user who gets a push while nobody follows them.
// ARGV: epoch if none, ttl, data, history size, live channel, stream name, claim window (ms).
const PUBLISH = `
if #KEYS == 3 and not redis.call('set', KEYS[3], '1', 'NX', 'PX', ARGV[7]) then return false end
${EPOCH_OR_START}
local offset = redis.call('hincrby', KEYS[2], 'o', 1)
if not started then
  redis.call('xadd', KEYS[1], 'MAXLEN', '~', ARGV[4], offset .. '-' .. epoch, 'd', ARGV[3])
  redis.call('expire', KEYS[1], ARGV[2])
  redis.call('expire', KEYS[2], ARGV[2])
end
redis.call('spublish', ARGV[5], ARGV[6] .. '\\n' .. epoch .. '\\n' .. offset .. '\\n' .. ARGV[3])
return {epoch, offset}
`

// The stream's epoch and top offset, starting an epoch if it has none (new stream, or its history
// was lost: Redis flushed, the meta hash evicted). ARGV: epoch if none, ttl.
const POSITION = `
${EPOCH_OR_START}
return {epoch, redis.call('hget', KEYS[2], 'o')}
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

/** A new epoch for a Redis stream: a number, as it is also the sequence part of its entries' ids. */
export const newRedisEpoch = () => String(randomInt(1, 2 ** 48))

export type ScriptName = 'publish' | 'position' | 'member' | 'sweep'
export type RunScript = (name: ScriptName, keys: string[], args: string[]) => Promise<Reply>

/**
 * The runner of the engine's Lua scripts: it calls one by EVALSHA, and by EVAL (which loads it) where
 * Redis does not hold it: a restart, or a cluster node that has not run it yet (SCRIPT LOAD would
 * reach one node of a cluster only).
 */
export async function loadScripts(commands: RedisClient): Promise<RunScript> {
  const scripts = {
    publish: { source: PUBLISH, sha: '' },
    position: { source: POSITION, sha: '' },
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
