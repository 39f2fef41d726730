import { describe, expect, it } from 'vitest'
import { CloseCode, createServer, signToken } from '../../examples/server/src/index'
import { SECRET, referenceHarness } from '../support/reference'

const { start, connect, loggedIn, cleanups } = referenceHarness()

describe('login', () => {
  it('binds a socket with a valid HMAC token and refuses a wrong one without binding', async () => {
    const { server, url } = await start()
    const client = await connect(url)
    expect(await client.request('ping')).toEqual({ error: 401, body: 'not logged in' })
    expect(await client.request('login', { u: 'user:1', token: 'nope' })).toEqual({ error: 401, body: 'invalid token' })
    expect(await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:2') })).toMatchObject({ error: 401 })
    expect(await client.request('login', { u: 1, token: 2 })).toMatchObject({ error: 400 })
    expect(await client.request('login')).toMatchObject({ error: 400 })
    expect(server.socketsOf('user:1')).toBe(0)
    expect(await client.request('echo', 1)).toEqual({ error: 401, body: 'login first' })
    expect(await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1') })).toEqual({ error: 0, body: 'logged in' })
    expect(await client.request('ping')).toEqual({ error: 0, body: 'pong' })
    expect(server.socketsOf('user:1')).toBe(1)
  })

  it('takes a pluggable token check', async () => {
    const { url } = await start({ verifyLogin: async (u, token) => token === `let ${u} in` })
    const client = await connect(url)
    expect(await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1') })).toMatchObject({ error: 401 })
    expect(await client.request('login', { u: 'user:1', token: 'let user:1 in' })).toMatchObject({ error: 0 })
  })

  it('closes a socket that does not log in before the deadline with 4401', async () => {
    const { url } = await start({ loginTimeout: 100 })
    const idle = await connect(url)
    const prompt = await loggedIn(url, 'user:1')
    expect(await idle.waitClose()).toEqual({ code: CloseCode.loginTimeout, reason: 'login timeout' })
    expect(prompt.closed).toBeUndefined()
  })

  it('rebinds a socket that logs in as another user instead of duplicating it', async () => {
    const { server, url } = await start()
    const client = await loggedIn(url, 'user:1')
    expect(await client.request('login', { u: 'user:2', token: signToken(SECRET, 'user:2') })).toMatchObject({ error: 0 })
    expect(server.socketsOf('user:1')).toBe(0)
    expect(server.socketsOf('user:2')).toBe(1)
    expect(await server.push({ event: 'e', msg: 1, to: 'user:1' })).toBe(0)
    expect(await server.push({ event: 'e', msg: 1, to: 'user:2' })).toBe(1)
  })
})

describe('requests and pushes', () => {
  it('runs handlers, answers unknown events at once, and hides handler crashes', async () => {
    const { server, url } = await start()
    server.handle('add', (data) => (data as number[]).reduce((a, b) => a + b, 0))
    server.handle('who', (_data, context) => context.user)
    server.handle('crash', () => {
      throw new Error('secret internals')
    })
    const client = await loggedIn(url, 'user:7')
    expect(await client.request('add', [1, 2, 3])).toEqual({ error: 0, body: 6 })
    expect(await client.request('who')).toEqual({ error: 0, body: 'user:7' })
    expect(await client.request('nope')).toEqual({ error: 404, body: 'unknown event nope' })
    expect(await client.request('crash')).toEqual({ error: 500, body: 'internal error' })
    expect(await client.request(42)).toEqual({ error: 400, body: 'event must be a string' })
    expect(() => server.handle('login', () => {})).toThrow(/built in/)
  })

  it('pushes to every device of a user; closing one leaves the others bound', async () => {
    const { server, url } = await start()
    const phone = await loggedIn(url, 'user:1')
    const tablet = await loggedIn(url, 'user:1')
    const other = await loggedIn(url, 'user:2')
    expect(await server.push({ event: 'chat1', msg: 'reload', to: 'user:1' })).toBe(2)
    for (const device of [phone, tablet]) {
      expect(await device.waitFor((m) => m.type === 'app')).toEqual({ type: 'app', event: 'chat1', msg: 'reload', to: 'user:1' })
    }
    phone.socket.close()
    await phone.waitClose()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await server.push({ event: 'chat1', msg: 'again', to: ['user:1', 'user:2'] })).toBe(2)
    await tablet.waitFor((m) => m.msg === 'again')
    await other.waitFor((m) => m.msg === 'again')
    expect(await server.push({ event: 'all', msg: 1, to: '*' })).toBe(2)
  })

  it('takes pushes over HTTP as JSON or a form, behind the bearer secret', async () => {
    const { url, http } = await start({ pushSecret: 'push-key' })
    const client = await loggedIn(url, 'user:1')
    const post = (body: string, type = 'application/json', key = 'push-key') =>
      fetch(`${http}/push`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${key}` }, body })
    let response = await post(JSON.stringify({ event: 'user_tabbar', msg: 0, to: 'user:1,user:9' }))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ delivered: 1 })
    expect(await client.waitFor((m) => m.event === 'user_tabbar')).toMatchObject({ msg: 0 })
    // The seed's PHP job posts a form whose msg is JSON text.
    response = await post('event=chat1&to=user%3A1&msg=%7B%22text%22%3A%22hi%22%7D', 'application/x-www-form-urlencoded')
    expect(await response.json()).toEqual({ delivered: 1 })
    expect(await client.waitFor((m) => m.event === 'chat1')).toMatchObject({ msg: { text: 'hi' } })
    expect((await post('{}', 'application/json', 'wrong')).status).toBe(401)
    expect((await post('{"event":"e"}')).status).toBe(400)
    expect((await post('not json')).status).toBe(400)
    expect((await post(JSON.stringify({ event: 'e', to: 'u', msg: 'x'.repeat(70_000) }))).status).toBe(413)
    expect((await fetch(`${http}/push`)).status).toBe(405)
    expect((await fetch(`${http}/nothing`)).status).toBe(404)
    const health = await (await fetch(`${http}/health`)).json()
    expect(health).toMatchObject({ ok: true, connections: 1, users: 1 })
  })
})

describe('bad input', () => {
  it('closes on frames that are not JSON objects, with 4400, and nobody else notices', async () => {
    const { url } = await start()
    const bystander = await loggedIn(url, 'user:2')
    for (const frame of ['not json', '[1,2]', '42', 'null', Buffer.from([1, 2, 3]), JSON.stringify({ event: 'x', uuid: { bad: 1 } })]) {
      const client = await loggedIn(url, 'user:1')
      client.send(frame)
      expect(await client.waitClose()).toMatchObject({ code: CloseCode.badFrame })
    }
    expect(await bystander.request('ping')).toEqual({ error: 0, body: 'pong' })
  })

  it('closes on frames over maxPayload with 1009', async () => {
    const { url } = await start({ maxPayload: 1024 })
    const client = await loggedIn(url, 'user:1')
    client.send({ event: 'echo', data: 'x'.repeat(2000), uuid: 'big' })
    expect((await client.waitClose()).code).toBe(CloseCode.tooBig)
  })

  it('closes a flooding socket with 4429 and keeps serving the others', async () => {
    const { url } = await start({ rateLimit: { messages: 50, interval: 1000 } })
    const flooder = await loggedIn(url, 'user:1')
    const calm = await loggedIn(url, 'user:2')
    for (let i = 0; i < 200; i++) flooder.send({ event: 'ping', uuid: i })
    expect(await flooder.waitClose()).toEqual({ code: CloseCode.rateLimited, reason: 'rate limit' })
    expect(await calm.request('ping')).toEqual({ error: 0, body: 'pong' })
  })
})

describe('liveness', () => {
  it('pings every pingInterval and cuts off sockets silent for idleTimeout', async () => {
    const { server, url } = await start({ pingInterval: 50, idleTimeout: 300 })
    const silent = await loggedIn(url, 'user:1')
    const chatty = await loggedIn(url, 'user:2')
    const answer = setInterval(() => chatty.send({ event: 'response', uuid: 1 }), 50)
    cleanups.push(() => clearInterval(answer))
    const ping = await silent.waitFor((m) => m.type === 'ping')
    expect(typeof ping.uuid).toBe('number')
    expect((await silent.waitClose(3000)).code).toBe(1006)
    expect(chatty.closed).toBeUndefined()
    expect(server.socketsOf('user:1')).toBe(0)
  })

  it('spreads its pings over the interval instead of pinging every socket at once', async () => {
    const { url } = await start({ pingInterval: 1000, idleTimeout: 60_000 })
    const clients = await Promise.all(Array.from({ length: 30 }, (_, i) => loggedIn(url, `user:${i}`)))
    const arrivals = await Promise.all(clients.map((client) => client.waitFor((m) => m.type === 'ping').then(() => Date.now())))
    // One burst would land within a few ms; 30 sockets in 20 slices of 50 ms span most of the second.
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(250)
  })

  it('closes every socket with 1012 (service restart) after its close frame on close()', async () => {
    const { server, url } = await start()
    const client = await loggedIn(url, 'user:1')
    await server.close()
    expect(await client.waitClose()).toEqual({ code: 1012, reason: 'server restarting' })
    expect(CloseCode.shutdown).toBe(1012)
    expect(client.messages.at(-1)).toEqual({ type: 'close', code: 1012, reason: 'server restarting' })
  })
})

describe('the engine', () => {
  it('with Redis, exists once listen() connected it: an earlier push rejects instead of going nowhere', async () => {
    const server = createServer({ secret: SECRET, redisUrl: 'redis://127.0.0.1:1' })
    await expect(server.push({ event: 'e', to: 'user:1' })).rejects.toThrow('call it first')
    expect(server.nodeId).toMatch(/^[0-9a-f-]{36}$/)
    await server.close()
  })

  it('takes one Redis or one Redis Cluster, not both, and a cluster needs a node to start from', async () => {
    expect(() => createServer({ secret: SECRET, redisUrl: 'redis://127.0.0.1:1', redisCluster: ['redis://127.0.0.1:2'] })).toThrow('redisUrl and redisCluster are exclusive')
    expect(() => createServer({ secret: SECRET, redisCluster: [] })).toThrow('redisCluster needs at least one node')
    const server = createServer({ secret: SECRET, redisCluster: ['redis://127.0.0.1:1'] })
    await expect(server.push({ event: 'e', to: 'user:1' })).rejects.toThrow('call it first')
    expect(server.nodeId).toMatch(/^[0-9a-f-]{36}$/)
    await server.close()
  })
})
