import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createClient } from '../../src/client'
import { fakeAdapter, flush } from '../support/fake-adapter'

// Frames a broken or hostile server might send: garbage, scalars, objects of the right shape
// with wrong types, and replies to ids the client may or may not have sent.
function frames(ids: string[]) {
  const id = fc.oneof(fc.constantFrom(...ids), fc.string(), fc.integer(), fc.constant(null))
  const reply = fc.record({
    type: fc.constant('respon'),
    event: id,
    data: fc.oneof(fc.record({ error: fc.oneof(fc.constant(0), fc.integer(), fc.string()), body: fc.jsonValue() }), fc.jsonValue()),
  })
  const push = fc.record({ type: fc.constant('app'), event: fc.oneof(fc.constantFrom('chat', 'x'), fc.jsonValue()), msg: fc.jsonValue() })
  const ping = fc.record({ type: fc.constant('ping'), uuid: fc.jsonValue() })
  return fc.array(
    fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.oneof(reply, push, ping).map((message) => JSON.stringify(message)),
      fc.oneof(reply, push).map((message) => '\ufeff' + JSON.stringify(message)),
      fc.uint8Array({ maxLength: 16 }).map((bytes) => bytes.buffer as ArrayBuffer),
    ),
    { maxLength: 40 },
  )
}

describe('client fed arbitrary frames', () => {
  it('never throws and settles each request once, only with a reply carrying its id', async () => {
    const fake = fakeAdapter()
    const client = createClient({ url: 'ws://x', login: undefined, heartbeat: false, requestTimeout: 60_000 }, fake.adapter)
    client.connectionLoop()
    await flush()
    fake.last.open()
    client.on('chat', () => {})

    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.context(), async (count, ctx) => {
        const outcomes = new Map<string, Array<{ ok: boolean; value: unknown }>>()
        const before = fake.last.sent.length
        const requests = Array.from({ length: count }, (_, i) => client.request(`r${i}`))
        const ids: string[] = fake.last.sent.slice(before).map((frame) => frame.uuid)
        requests.forEach((request, i) =>
          request.then(
            (value) => outcomes.set(ids[i], [...(outcomes.get(ids[i]) ?? []), { ok: true, value }]),
            (value) => outcomes.set(ids[i], [...(outcomes.get(ids[i]) ?? []), { ok: false, value }]),
          ),
        )
        const sample = fc.sample(frames(ids), { numRuns: 1, seed: count * 7919 + before })[0]
        const firstReply = new Map<string, unknown>()
        for (const frame of sample) {
          ctx.log(typeof frame === 'string' ? frame : '<binary>')
          if (typeof frame === 'string') {
            try {
              const message = JSON.parse(frame.replace(/^\ufeff/, ''))
              if (message && message.type === 'respon' && ids.includes(String(message.event)) && !firstReply.has(String(message.event))) {
                firstReply.set(String(message.event), message.data)
              }
            } catch {
              // not JSON
            }
          }
          expect(() => fake.last.receive(frame)).not.toThrow()
        }
        await flush(10)
        for (const id of ids) {
          const settled = outcomes.get(id) ?? []
          expect(settled.length).toBeLessThanOrEqual(1)
          if (!firstReply.has(id)) {
            expect(settled).toEqual([])
            continue
          }
          const data = firstReply.get(id) as { error?: unknown; body?: unknown } | null
          expect(settled).toHaveLength(1)
          const success = data !== null && typeof data === 'object' && data.error === 0
          expect(settled[0].ok).toBe(success)
          if (success) expect(settled[0].value).toEqual(data.body)
        }
        // Settle what is left so the next run starts clean.
        for (const id of ids) if (!firstReply.has(id)) fake.last.receive({ type: 'respon', event: id, data: { error: 0 } })
        await flush(10)
        expect(client.status).toBe('online')
      }),
      { numRuns: 300 },
    )
    client.close()
  })
})
