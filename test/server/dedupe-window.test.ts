import fc from 'fast-check'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDedupe } from '../../examples/server/src/dedupe'
import { DedupeWindow, type DedupeLimits } from '../../examples/server/src/dedupe-window'
import { redisDedupe } from '../../examples/server/src/redis-dedupe'
import { redisKeys } from '../../examples/server/src/redis-keys'
import { eventually, startRedis } from '../support/processes'

const users = ['a', 'a:b', 'b', '1']
const ids = ['b:c', 'c', 'x', '1']

type Operation =
  | { kind: 'start'; user: string; id: string }
  | { kind: 'keep'; user: string; id: string }
  | { kind: 'finish'; index: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'get'; user: string; id: string }

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), user: fc.constantFrom(...users), id: fc.constantFrom(...ids) }),
  fc.record({ kind: fc.constant('keep' as const), user: fc.constantFrom(...users), id: fc.constantFrom(...ids) }),
  fc.record({ kind: fc.constant('finish' as const), index: fc.nat(20) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('get' as const), user: fc.constantFrom(...users), id: fc.constantFrom(...ids) }),
)

const limits = fc.record({ window: fc.integer({ min: 1, max: 100 }), entries: fc.integer({ min: 1, max: 6 }), perUser: fc.integer({ min: 1, max: 4 }) })

/**
 * The model: every started run in order, with its user, id, reply once finished, and when that
 * reply stops counting. The window may forget more than the model (bounds), never answer
 * differently from it.
 */
interface Run {
  user: string
  id: string
  running: Promise<string>
  reply?: string
  finishedAt?: number
}

describe('the in-memory dedupe window', () => {
  it('never answers with another (user, id)’s run, nor with a reply past the window, and stays within its bounds', () => {
    fc.assert(
      fc.property(limits, fc.array(operation, { maxLength: 80 }), (bounds: DedupeLimits, operations) => {
        let now = 0
        const forgotten: string[] = []
        const window = new DedupeWindow(bounds, (user, id) => forgotten.push(`${user} ${id}`), () => now)
        const runs: Run[] = []
        let counter = 0
        for (const step of operations) {
          if (step.kind === 'wait') now += step.ms
          else if (step.kind === 'start') {
            const run: Run = { user: step.user, id: step.id, running: new Promise<string>(() => {}) }
            runs.push(run)
            window.start(step.user, step.id, run.running)
          } else if (step.kind === 'keep') {
            // A handler that answered at once: started and finished in one step.
            const reply = `kept ${++counter} of ${step.user} ${step.id}`
            runs.push({ user: step.user, id: step.id, running: new Promise<string>(() => {}), reply, finishedAt: now })
            window.keep(step.user, step.id, reply)
          } else if (step.kind === 'finish') {
            const run = runs.filter((candidate) => candidate.reply === undefined)[step.index]
            if (!run) continue
            run.reply = `reply ${++counter} of ${run.user} ${run.id}`
            run.finishedAt = now
            window.finish(run.user, run.id, run.running, run.reply)
          } else {
            const known = window.get(step.user, step.id)
            if (!known) continue
            // The answer is the latest run started for this (user, id): its promise, or its reply within the window.
            const latest = runs.filter((run) => run.user === step.user && run.id === step.id).at(-1)!
            if ('running' in known) {
              expect(known.running).toBe(latest.running)
              expect(latest.reply).toBeUndefined()
            } else {
              expect(known.reply).toBe(latest.reply)
              expect(now - latest.finishedAt!).toBeLessThan(bounds.window)
            }
          }
          expect(window.size).toBeLessThanOrEqual(bounds.entries)
          for (const user of users) expect(window.countOf(user)).toBeLessThanOrEqual(bounds.perUser)
        }
      }),
    )
  })

  it('remembers a finished reply for the whole window when its bounds are not reached', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 2000 }), (windowMs, waited) => {
        let now = 0
        const window = new DedupeWindow({ window: windowMs, entries: 10, perUser: 10 }, () => {}, () => now)
        const running = new Promise<string>(() => {})
        window.start('u', 'id', running)
        expect(window.get('u', 'id')).toEqual({ running })
        now += 5000 // a running request is kept however long it runs
        window.finish('u', 'id', running, 'reply')
        now += waited
        expect(window.get('u', 'id')).toEqual(waited < windowMs ? { reply: 'reply' } : undefined)
      }),
    )
  })

  // Ids and replies as clients and handlers make them, and as they should not: non-ASCII ids are
  // kept apart from the arena, replies longer than a record too, and many of them make the window
  // grow, close its holes and move entries in its table.
  const anyId = fc.oneof(
    { arbitrary: fc.constantFrom(...ids, 'd', 'e', 'f', 'g'), weight: 3 },
    fc.string({ maxLength: 64 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
  )
  const anyReply = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', minLength: 30, maxLength: 120 }), fc.string({ minLength: 100, maxLength: 400 }))
  const finished = fc.array(fc.record({ user: fc.constantFrom(...users), id: anyId, reply: anyReply }), { minLength: 50, maxLength: 600 })

  // Few ids, many requests, tight bounds: the same (user, id) kept again after the window moved its
  // records, so that a stale link between a user's records would show.
  const repeated = fc.record({
    requests: fc.array(fc.record({ user: fc.constantFrom(...users), id: fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `id${i}`)), reply: anyReply }), { minLength: 200, maxLength: 800 }),
    entries: fc.integer({ min: 20, max: 120 }),
    perUser: fc.integer({ min: 5, max: 40 }),
  })
  const spread = fc.record({ requests: finished, entries: fc.integer({ min: 1, max: 400 }), perUser: fc.integer({ min: 1, max: 150 }) })

  it('remembers exactly what its bounds let it, forgetting each user’s oldest and then the oldest of all', () => {
    fc.assert(
      fc.property(fc.oneof(spread, repeated), ({ requests, entries, perUser }) => {
        const forgotten: string[] = []
        const window = new DedupeWindow({ window: 60_000, entries, perUser }, (user, id) => forgotten.push(`${user}\n${id}`), () => 0)
        // The model: finished requests oldest first, one per (user, id).
        let model: Array<{ user: string; id: string; reply: string }> = []
        const evicted: string[] = []
        for (const request of requests) {
          model = model.filter((entry) => entry.user !== request.user || entry.id !== request.id)
          const mine = () => model.filter((entry) => entry.user === request.user)
          while (mine().length >= perUser) {
            const oldest = mine()[0]
            evicted.push(`${oldest.user}\n${oldest.id}`)
            model = model.filter((entry) => entry !== oldest)
          }
          while (model.length >= entries) evicted.push(`${model[0].user}\n${model.shift()!.id}`)
          model.push(request)
          window.keep(request.user, request.id, request.reply)
        }
        expect(window.size).toBe(model.length)
        for (const user of users) expect(window.countOf(user)).toBe(model.filter((entry) => entry.user === user).length)
        for (const entry of model) expect(window.get(entry.user, entry.id)).toEqual({ reply: entry.reply })
        for (const request of requests) {
          if (!model.some((entry) => entry.user === request.user && entry.id === request.id)) expect(window.get(request.user, request.id)).toBeUndefined()
        }
        expect(forgotten).toEqual(evicted)
      }),
      { numRuns: 300 },
    )
  })

  it('keeps a count of what it remembers through starts, finishes and abandons', () => {
    const step = fc.record({ kind: fc.constantFrom('start' as const, 'finish' as const, 'abandon' as const, 'keep' as const), user: fc.constantFrom(...users), id: anyId, reply: anyReply })
    fc.assert(
      fc.property(fc.array(step, { minLength: 50, maxLength: 400 }), (steps) => {
        const window = new DedupeWindow({ window: 60_000, entries: 100_000, perUser: 100_000 }, undefined, () => 0)
        // Nothing is evicted at these bounds: the model is every (user, id) with its latest run or reply.
        const model = new Map<string, { running?: Promise<string>; reply?: string }>()
        for (const { kind, user, id, reply } of steps) {
          const key = `${user}\n${id}`
          const known = model.get(key)
          if (kind === 'start') {
            const running = new Promise<string>(() => {})
            window.start(user, id, running)
            model.set(key, { running })
          } else if (kind === 'keep') {
            window.keep(user, id, reply)
            model.set(key, { reply })
          } else if (known?.running) {
            if (kind === 'finish') {
              window.finish(user, id, known.running, reply)
              model.set(key, { reply })
            } else {
              window.abandon(user, id, known.running)
              model.delete(key)
            }
          }
        }
        expect(window.size).toBe(model.size)
        for (const user of users) expect(window.countOf(user)).toBe([...model.keys()].filter((key) => key.startsWith(`${user}\n`)).length)
        for (const [key, known] of model) {
          const [user, id] = [key.slice(0, key.indexOf('\n')), key.slice(key.indexOf('\n') + 1)]
          expect(window.get(user, id)).toEqual(known.running ? { running: known.running } : { reply: known.reply })
        }
      }),
      { numRuns: 200 },
    )
  })

  it('takes unbounded limits as its largest size', () => {
    const window = new DedupeWindow({ window: Infinity, entries: Infinity, perUser: Infinity }, undefined, () => 0)
    for (let i = 0; i < 1000; i++) window.keep(`u${i % 7}`, `id${i}`, `reply ${i}`)
    expect(window.size).toBe(1000)
    expect(window.get('u3', 'id500')).toEqual({ reply: 'reply 500' })
  })

  it('runs concurrent duplicates once: every caller gets the first run’s reply', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...ids), { minLength: 1, maxLength: 30 }), async (requests) => {
        const dedupe = createDedupe({ window: 60_000, entries: 100, perUser: 100 }, { unavailable: 'unavailable', log: () => {} })
        const runs = new Map<string, number>()
        const replies = await Promise.all(
          requests.map((id) =>
            dedupe.once('u', id, async () => {
              runs.set(id, (runs.get(id) ?? 0) + 1)
              await new Promise((resolve) => setImmediate(resolve))
              return `reply of ${id}`
            }),
          ),
        )
        expect(replies).toEqual(requests.map((id) => `reply of ${id}`))
        expect([...runs.values()].every((count) => count === 1)).toBe(true)
        expect(new Set(runs.keys())).toEqual(new Set(requests))
      }),
    )
  })
  it('answers a handler that answered at once without a promise, and its duplicates with that reply', () => {
    const dedupe = createDedupe({ window: 60_000, entries: 100, perUser: 100 }, { unavailable: 'unavailable', log: () => {} })
    let runs = 0
    const run = () => `{"error":0,"body":${++runs}}`
    expect(dedupe.once('u', 'id', run)).toBe('{"error":0,"body":1}')
    expect(dedupe.once('u', 'id', run)).toBe('{"error":0,"body":1}')
    expect(dedupe.once('v', 'id', run)).toBe('{"error":0,"body":2}')
    expect(runs).toBe(2)
    expect(dedupe.known.countOf('u')).toBe(1)
  })
})

describe('dedupe across nodes through a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  const clients: Array<ReturnType<typeof createClient>> = []
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    for (const client of clients) client.destroy()
    await redis.stop()
  })

  async function node(prefix: string) {
    const commands = createClient({ url: redis.url })
    clients.push(commands)
    await commands.connect()
    const store = redisDedupe(commands, redisKeys(prefix))
    return { commands, dedupe: createDedupe({ window: 5000, entries: 100, perUser: 100 }, { store: () => store, unavailable: 'unavailable', log: () => {} }) }
  }

  it('a duplicate on another node waits for the running node’s reply, stored with the window as TTL', async () => {
    const a = await node('t1')
    const b = await node('t1')
    let release!: () => void
    let runs = 0
    const run = async () => {
      runs++
      await new Promise<void>((resolve) => (release = resolve))
      return '{"error":0,"body":"ran on A"}'
    }
    const onA = a.dedupe.once('u', 'id', run)
    // A's claim precedes its run: once the run started, the key says running.
    await eventually(() => expect(runs).toBe(1))
    expect(await a.commands.get('t1:dedupe:"u":id')).toBe('?')
    const onB = b.dedupe.once('u', 'id', run)
    release()
    expect(await onA).toBe('{"error":0,"body":"ran on A"}')
    expect(await onB).toBe('{"error":0,"body":"ran on A"}')
    expect(runs).toBe(1)
    const ttl = await a.commands.pTTL('t1:dedupe:"u":id')
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(5000)
  })

  it('takes over a request whose node died without a reply once its claim expired', async () => {
    const b = await node('t2')
    // A node claimed it and died: the key says running until its TTL ends.
    await b.commands.set('t2:dedupe:"u":id', '?', { expiration: { type: 'PX', value: 50 } })
    let runs = 0
    expect(await b.dedupe.once('u', 'id', async () => `{"error":0,"body":${++runs}}`)).toBe('{"error":0,"body":1}')
    expect(runs).toBe(1)
  })

  it('forgets in Redis too what the bound evicts', async () => {
    const commands = createClient({ url: redis.url })
    clients.push(commands)
    await commands.connect()
    const store = redisDedupe(commands, redisKeys('t3'))
    const dedupe = createDedupe({ window: 5000, entries: 100, perUser: 1 }, { store: () => store, unavailable: 'unavailable', log: () => {} })
    await dedupe.once('u', 'first', async () => '{"error":0,"body":1}')
    await dedupe.once('u', 'second', async () => '{"error":0,"body":2}')
    await eventually(async () => expect(await commands.exists('t3:dedupe:"u":first')).toBe(0))
    await eventually(async () => expect(await commands.get('t3:dedupe:"u":second')).toBe('{"error":0,"body":2}'))
  })
})
