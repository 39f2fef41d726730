import { describe, expect, it } from 'vitest'
import { CloseCode, signToken, verifyToken } from '../../examples/server/src/index'
import { SECRET, referenceHarness } from '../support/reference'

const { start, connect, loggedIn } = referenceHarness()

describe('tokens', () => {
  it('carry an expiry the HMAC covers; tokens without expiry keep working', () => {
    const now = Date.now()
    const fresh = signToken(SECRET, 'user:1', { expiresIn: 60 })
    expect(fresh).toMatch(/^\d+\.[0-9a-f]{64}$/)
    expect(verifyToken(SECRET, 'user:1', fresh, now)).toBe('ok')
    expect(verifyToken(SECRET, 'user:1', fresh, now + 61_000)).toBe('expired')
    expect(verifyToken(SECRET, 'user:2', fresh, now)).toBe('invalid')
    const [expiry, mac] = fresh.split('.')
    expect(verifyToken(SECRET, 'user:1', `${Number(expiry) + 3600}.${mac}`, now)).toBe('invalid')
    expect(verifyToken(SECRET, 'user:1', `x.${mac}`, now)).toBe('invalid')
    expect(verifyToken('other secret', 'user:1', fresh, now)).toBe('invalid')
    expect(verifyToken(SECRET, 'user:1', signToken(SECRET, 'user:1'))).toBe('ok')
    expect(verifyToken(SECRET, 'user:1', '')).toBe('invalid')
  })

  it('an expired token gets reply 419, a wrong one 401, and neither binds the socket', async () => {
    const { server, url } = await start()
    const client = await connect(url)
    const expired = signToken(SECRET, 'user:1', { expiresIn: -1 })
    expect(await client.request('login', { u: 'user:1', token: expired })).toEqual({ error: 419, body: 'token expired' })
    expect(await client.request('login', { u: 'user:1', token: 'nope' })).toEqual({ error: 401, body: 'invalid token' })
    expect(server.socketsOf('user:1')).toBe(0)
    expect(await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1', { expiresIn: 60 }) })).toEqual({ error: 0, body: 'logged in' })
  })

  it('a pluggable check may answer expired too', async () => {
    const { url } = await start({ verifyLogin: (u, token) => (token === 'old' ? 'expired' : token === `let ${u} in`) })
    const client = await connect(url)
    expect(await client.request('login', { u: 'user:1', token: 'old' })).toMatchObject({ error: 419 })
    expect(await client.request('login', { u: 'user:1', token: 'let user:1 in' })).toMatchObject({ error: 0 })
  })
})

describe('token in the URL (seed 004)', () => {
  it('logs the socket in from the start', async () => {
    const { server, url } = await start({ loginTimeout: 300 })
    const client = await connect(`${url}?u=user:5&token=${signToken(SECRET, 'user:5')}`)
    expect(await client.request('ping')).toEqual({ error: 0, body: 'pong' })
    expect(await server.push({ event: 'chat', msg: 'hi', to: 'user:5' })).toBe(1)
    expect(await client.waitFor((m) => m.type === 'app')).toEqual({ type: 'app', event: 'chat', msg: 'hi', to: 'user:5' })
    // No login timeout for it; and a login request still works.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(client.closed).toBeUndefined()
    expect(await client.request('login', { u: 'user:6', token: signToken(SECRET, 'user:6') })).toMatchObject({ error: 0 })
  })

  it('refuses a wrong token with the final frame 4403 and an expired one with 4419, then closes with that code', async () => {
    const { url } = await start()
    const wrong = await connect(`${url}?u=user:5&token=forged`)
    expect(await wrong.waitClose()).toEqual({ code: CloseCode.authRefused, reason: 'invalid token' })
    expect(wrong.messages).toEqual([{ type: 'close', code: 4403, reason: 'invalid token' }])
    const expired = await connect(`${url}?u=user:5&token=${signToken(SECRET, 'user:5', { expiresIn: -5 })}`)
    expect(await expired.waitClose()).toEqual({ code: CloseCode.tokenExpired, reason: 'token expired' })
    expect(expired.messages).toEqual([{ type: 'close', code: 4419, reason: 'token expired' }])
  })
})

describe('final decisions and liveness', () => {
  it('disconnect(user) sends {"type":"close","code":4409} before closing with 4409', async () => {
    const { server, url } = await start()
    const phone = await loggedIn(url, 'user:1')
    const other = await loggedIn(url, 'user:2')
    expect(await server.disconnect('user:1', undefined, 'logged in elsewhere')).toBe(1)
    expect(await phone.waitClose()).toEqual({ code: 4409, reason: 'logged in elsewhere' })
    expect(phone.messages.at(-1)).toEqual({ type: 'close', code: 4409, reason: 'logged in elsewhere' })
    expect(await other.request('ping')).toEqual({ error: 0, body: 'pong' })
  })

  it('closes with 4426 a login that asks for a protocol version it does not speak', async () => {
    const { url } = await start()
    const client = await connect(url)
    client.send({ event: 'login', data: { u: 'user:1', token: signToken(SECRET, 'user:1'), protocol: 2 }, uuid: 'l1' })
    expect(await client.waitClose()).toEqual({ code: CloseCode.protocolVersion, reason: 'protocol 2 not supported' })
    expect(client.messages).toEqual([{ type: 'close', code: 4426, reason: 'protocol 2 not supported' }])
  })

  it('sends the close frame with the login timeout too (4401, not final)', async () => {
    const { url } = await start({ loginTimeout: 100 })
    const client = await connect(url)
    expect(await client.waitClose()).toEqual({ code: 4401, reason: 'login timeout' })
    expect(client.messages).toEqual([{ type: 'close', code: 4401, reason: 'login timeout' }])
  })

  it('answers a one-way ping with {"type":"pong"}, and a ping request with a reply as before', async () => {
    const { url } = await start()
    const client = await loggedIn(url, 'user:1')
    client.send({ event: 'ping' })
    expect(await client.waitFor((m) => m.type === 'pong')).toEqual({ type: 'pong' })
    expect(await client.request('ping')).toEqual({ error: 0, body: 'pong' })
  })
})
