import { describe, expect, it } from 'vitest'
import { allowPatterns, type Authorize } from '../../examples/server/src/index'
import { SECRET, referenceHarness } from '../support/reference'
import { eventually } from '../support/processes'

const { start, loggedIn } = referenceHarness()

// Agents watch the customers online in `lobby`; customers are listed there but see nothing of it.
const lobby: Authorize = (channel, { user }) => {
  if (channel !== 'lobby') return channel.startsWith('room:')
  return user.startsWith('agent:') ? { presence: 'watch' } : { presence: 'member' }
}
const presenceFrames = (client: { messages: any[] }) => client.messages.filter((m) => m.event === '$presence')

describe('presence (one node)', () => {
  it('lists the members, pushes joins and leaves to watchers only, and counts a user once', async () => {
    const { url } = await start({ authorize: lobby })
    const agent = await loggedIn(url, 'agent:ann')
    expect(await agent.request('subscribe', { channel: 'lobby' })).toMatchObject({ error: 0 })
    expect(await agent.request('presence', { channel: 'lobby' })).toEqual({ error: 0, body: { users: [], count: 0 } })
    const phone = await loggedIn(url, 'user:1')
    const tablet = await loggedIn(url, 'user:1')
    const other = await loggedIn(url, 'user:2')
    for (const customer of [phone, tablet, other]) expect(await customer.request('subscribe', { channel: 'lobby' })).toMatchObject({ error: 0 })
    await eventually(() => expect(presenceFrames(agent)).toHaveLength(2))
    expect(presenceFrames(agent)).toEqual([
      { type: 'app', event: '$presence', channel: 'lobby', joined: ['user:1'], left: [] },
      { type: 'app', event: '$presence', channel: 'lobby', joined: ['user:2'], left: [] },
    ])
    expect(await agent.request('presence', { channel: 'lobby' })).toEqual({ error: 0, body: { users: ['user:1', 'user:2'], count: 2 } })
    // A member that may not watch: neither the pushes nor the list.
    expect(await phone.request('presence', { channel: 'lobby' })).toEqual({ error: 403, body: 'presence not allowed' })
    expect(presenceFrames(phone)).toEqual([])
    // user:1 still has the tablet: no leave. Then the tablet closes, user:2 unsubscribes.
    phone.socket.close()
    tablet.socket.close()
    expect(await other.request('unsubscribe', { channel: 'lobby' })).toMatchObject({ error: 0 })
    await eventually(() => expect(presenceFrames(agent)).toHaveLength(4))
    expect(presenceFrames(agent).slice(2).map((frame) => frame.left).sort()).toEqual([['user:1'], ['user:2']])
    expect(await agent.request('presence', { channel: 'lobby' })).toEqual({ error: 0, body: { users: [], count: 0 } })
  })

  it('is refused on channels without it and to users who may not subscribe', async () => {
    const { url } = await start({ authorize: lobby })
    const customer = await loggedIn(url, 'user:1')
    expect(await customer.request('presence', { channel: 'room:1' })).toEqual({ error: 403, body: 'presence not allowed' })
    expect(await customer.request('presence', { channel: 'secret' })).toEqual({ error: 403, body: 'not allowed' })
    expect(await customer.request('presence', { channel: '' })).toMatchObject({ error: 400 })
  })

  it('lists at most presenceLimit users, by name, with the exact count', async () => {
    const { url } = await start({ authorize: allowPatterns(['*'], ['big']), presenceLimit: 2 })
    const users = ['user:c', 'user:a', 'user:d', 'user:b']
    for (const user of users) expect(await (await loggedIn(url, user)).request('subscribe', { channel: 'big' })).toMatchObject({ error: 0 })
    const watcher = await loggedIn(url, 'user:a')
    expect(await watcher.request('presence', { channel: 'big' })).toEqual({ error: 0, body: { users: ['user:a', 'user:b'], count: 4 } })
  })
})

describe('history on demand (one node)', () => {
  const publish = async (server: { push(message: object): Promise<number> }, from: number, to: number) => {
    for (let n = from; n <= to; n++) await server.push({ event: 'said', msg: { n }, channel: 'room:1' })
  }

  it('gives the last publications, oldest first, as their frames, and pages with before', async () => {
    const { server, url, http } = await start({ authorize: lobby, pushSecret: 'k' })
    const reader = await loggedIn(url, 'user:1')
    // Nothing is stored for a stream nobody has a position in yet: subscribing starts its epoch.
    const { body: subscribed } = await reader.request('subscribe', { channel: 'room:1' })
    await publish(server, 1, 25)
    const { error, body } = await reader.request('history', { channel: 'room:1', limit: 10 })
    expect(error).toBe(0)
    const { epoch } = subscribed
    expect(body.map((entry: any) => entry.message.msg.n)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25])
    expect(body[0]).toEqual({ event: 'said', message: { type: 'app', event: 'said', msg: { n: 16 }, channel: 'room:1', epoch, offset: 16 }, position: { epoch, offset: 16 } })
    const offsets = (page: { body: any[] }) => page.body.map((entry) => entry.position.offset)
    expect(offsets(await reader.request('history', { channel: 'room:1', limit: 10, before: body[0].position }))).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    expect(offsets(await reader.request('history', { channel: 'room:1', limit: 10, before: { epoch, offset: 6 } }))).toEqual([1, 2, 3, 4, 5])
    expect(await reader.request('history', { channel: 'room:1', limit: 10, before: { epoch: 'another', offset: 6 } })).toEqual({ error: 0, body: [] })
    // The backend's way: the push bearer, no authorize, the same page.
    const post = (token: string, query: object) => fetch(`${http}/history`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(query) })
    const response = await post('k', { channel: 'room:1', limit: 10 })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(body)
    expect((await post('wrong', { channel: 'room:1', limit: 10 })).status).toBe(401)
    const bad = await post('k', { channel: 'room:1', limit: 101 })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ error: 'limit must be an integer from 1 to 100' })
  })

  it('is authorized like subscribe and bounded', async () => {
    const { url } = await start({ authorize: lobby })
    const reader = await loggedIn(url, 'user:1')
    expect(await reader.request('history', { channel: 'secret', limit: 5 })).toEqual({ error: 403, body: 'not allowed' })
    for (const limit of [0, 101, 2.5, '5', undefined]) {
      expect(await reader.request('history', { channel: 'room:1', limit })).toEqual({ error: 400, body: 'limit must be an integer from 1 to 100' })
    }
    expect(await reader.request('history', { channel: 'room:1', limit: 5, before: { epoch: 1 } })).toEqual({ error: 400, body: 'before must be {epoch, offset}' })
    expect(await reader.request('history', { channel: 'room:1', limit: 100 })).toEqual({ error: 0, body: [] })
  })

  it('cannot be taken by a handler', async () => {
    const { server } = await start({ secret: SECRET })
    expect(() => server.handle('history', () => {})).toThrow(/built in/)
    expect(() => server.handle('presence', () => {})).toThrow(/built in/)
  })
})
