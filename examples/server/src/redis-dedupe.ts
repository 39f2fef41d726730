import { randomUUID } from 'node:crypto'
import type { DedupeStore } from './dedupe'
import type { RedisClient } from './redis-connection'
import type { RedisKeys } from './redis-keys'

/** The value of a claimed request until its reply is stored; a reply is a JSON object, so never `?`. */
const RUNNING = '?'

/**
 * Requests shared by the nodes: `<prefix>:dedupe:<user as JSON>:<id>` holds `?` while a node runs
 * the request (renewed for another window every third of one), then its reply, for the window.
 * The user is JSON-quoted so that no (user, id) pair spells another's key (`"a:b"` + `c` is not
 * `"a"` + `b:c`). The claim is one command: SET NX PX with GET (Redis 7) answers what was there
 * when the key was taken already.
 */
export function redisDedupe(commands: RedisClient, keys: RedisKeys): DedupeStore {
  const keyOf = keys.dedupe
  const read = (value: unknown) => (typeof value !== 'string' ? undefined : value === RUNNING ? ('running' as const) : { reply: value })

  let scope: string | undefined
  return {
    get available() {
      return commands.isReady
    },
    // One key shared by the nodes, made by the first; read once per node.
    async scope() {
      if (scope) return scope
      const mine = randomUUID()
      const before = await commands.sendCommand(['SET', keys.dedupeScope, mine, 'NX', 'GET'])
      return (scope = typeof before === 'string' ? before : mine)
    },
    async claim(user, id, window) {
      const before = await commands.sendCommand(['SET', keyOf(user, id), RUNNING, 'NX', 'PX', String(window), 'GET'])
      return read(before) ?? 'claimed'
    },
    async extend(user, id, window) {
      await commands.sendCommand(['PEXPIRE', keyOf(user, id), String(window)])
    },
    async read(user, id) {
      return read(await commands.get(keyOf(user, id)))
    },
    async store(user, id, reply, window) {
      await commands.set(keyOf(user, id), reply, { expiration: { type: 'PX', value: window } })
    },
    async forget(user, id) {
      await commands.del(keyOf(user, id))
    },
  }
}
