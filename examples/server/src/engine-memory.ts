import { randomBytes } from 'node:crypto'
import type { Engine, EngineListener, HistoryOptions, Members } from './engine'
import { pageOf } from './history'
import { listed } from './presence'
import { recoverFrom, type Position, type Publication } from './streams'

interface Stream extends Position {
  entries: Publication[]
  expires: number
}

export const newEpoch = () => randomBytes(6).toString('base64url')

/**
 * One process: publications go straight to the local sockets; each stream keeps its last
 * `history.size` entries until `history.ttl` seconds pass without a publication.
 */
export function memoryEngine(listener: EngineListener, history: HistoryOptions): Engine {
  const streams = new Map<string, Stream>()
  const ttl = history.ttl * 1000
  const sweeper = setInterval(
    () => {
      const now = Date.now()
      for (const [name, stream] of streams) if (stream.expires <= now) streams.delete(name)
    },
    Math.max(1000, Math.min(60_000, ttl / 4)),
  )
  sweeper.unref()
  const members = memoryMembers()

  function open(name: string) {
    let stream = streams.get(name)
    if (!stream || stream.expires <= Date.now()) {
      stream = { epoch: newEpoch(), offset: 0, entries: [], expires: Date.now() + ttl }
      streams.set(name, stream)
    }
    return stream
  }

  return {
    nodeId: 'local',
    async publish(name, data) {
      const stream = open(name)
      const publication: Publication = { stream: name, epoch: stream.epoch, offset: ++stream.offset, data }
      stream.entries.push(publication)
      if (stream.entries.length > history.size) stream.entries.splice(0, stream.entries.length - history.size)
      stream.expires = Date.now() + ttl
      listener.publication(publication)
      return publication
    },
    async broadcast(data) {
      listener.broadcast(data)
    },
    async recover(name, since) {
      const stream = open(name)
      return recoverFrom({ epoch: stream.epoch, offset: stream.offset }, stream.entries, since)
    },
    async history(name, query) {
      const stream = open(name)
      return pageOf({ epoch: stream.epoch, offset: stream.offset }, stream.entries, query)
    },
    async signal(channel, frame) {
      listener.signal(channel, frame)
    },
    members,
    setPresence: async () => {},
    online: async () => undefined,
    async close() {
      clearInterval(sweeper)
      streams.clear()
      await members.close()
    },
  }
}

/** One process: this node's counts are everyone's. */
function memoryMembers(): Members {
  const channels = new Map<string, Map<string, number>>()
  return {
    async count(channel, user, delta) {
      const users = channels.get(channel) ?? new Map<string, number>()
      const was = users.has(user)
      const sockets = Math.max(0, (users.get(user) ?? 0) + delta)
      if (sockets > 0) users.set(user, sockets)
      else users.delete(user)
      if (users.size) channels.set(channel, users)
      else channels.delete(channel)
      return sockets > 0 === was ? undefined : was ? 'left' : 'joined'
    },
    watch: () => {},
    async read(channel, limit) {
      const users = channels.get(channel)
      return { users: users ? listed(users.keys(), limit) : [], count: users?.size ?? 0 }
    },
    async close() {
      channels.clear()
    },
  }
}

