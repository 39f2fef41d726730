// History cost in Redis: used_memory (INFO memory) before and after `messages` publications kept
// in history (scaled to 1,000), on a flushed redis-server with one node of the library: all to one
// channel; one to each of as many users; then a second and a third to each of those users (a
// history key per user for mp-socket, which stores nothing but the epoch for a user's first push
// when nobody follows them, as nobody could recover it; socket.io keeps one stream for all). More
// than 1,000 messages, so that Redis's own small swings (client buffers resized by its cron) weigh less.
import { push, pushBody, sleep, startNodes } from './cluster.mjs'
import { median } from './lib.mjs'

/** A position update of seed 000's size (lng, lat, time): the payload of every message. */
const point = (id) => ({ k: 'c', id, lng: 121.473701, lat: 31.230416, at: 1763800000000 + id })

/** The pushes to each user, after the first: what each of them adds, by name. */
const AGAIN = ['second', 'third']

export async function historyCost(redis, library, { messages, runs }) {
  const samples = { channel: [], users: [], second: [], third: [], threeEach: [] }
  const [node] = await startNodes(library, redis, 1, { HISTORY_SIZE: String(messages) })
  const scaled = (bytes) => bytes * (1000 / messages)
  try {
    for (let run = 0; run < runs; run++) {
      for (const target of ['channel', 'users']) {
        await redis.client.flushAll()
        await sleep(200)
        const start = await redis.usedMemory()
        for (let n = 0; n < messages; n++) {
          const where = target === 'channel' ? { channel: `history:${run}` } : { users: [`user:h${run}:${n}`] }
          await push(node.port, pushBody(library, { ...where, msg: point(n) }))
        }
        samples[target].push(scaled((await redis.usedMemory()) - start))
        if (target === 'users') {
          for (const [round, name] of AGAIN.entries()) {
            const before = await redis.usedMemory()
            for (let n = 0; n < messages; n++) await push(node.port, pushBody(library, { users: [`user:h${run}:${n}`], msg: point((round + 1) * messages + n) }))
            samples[name].push(scaled((await redis.usedMemory()) - before))
          }
          samples.threeEach.push(scaled((await redis.usedMemory()) - start))
        }
      }
    }
  } finally {
    await node.stop()
  }
  return Object.fromEntries([...Object.entries(samples).map(([name, list]) => [name, median(list)]), ['samples', samples]])
}
