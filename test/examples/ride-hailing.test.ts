import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { FinalError, KickedError, ServerError, web } from 'mp-socket'
import { createRideApp, type RideApp, type RideMessage } from '../../examples/ride-hailing/ride-app.mjs'
import { createRideServer, type RideServer } from '../../examples/ride-hailing/server.mjs'
import { eventually } from '../support/processes'

// examples/ride-hailing: seed 001's flag protocol, its server (2 s login, target_token routing,
// {"flag":"close"} as the final word), and the passenger's and driver's flows through the SDK.
const users = {
  'passenger-p1': { role: 'passenger', name: 'Li' },
  'driver-d1': { role: 'driver', name: 'Wang' },
  'driver-d2': { role: 'driver', name: 'Zhao' },
}
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: { loginTimeout?: number } = {}) {
  const server = createRideServer({ users, ...options })
  await server.listen()
  cleanups.push(() => server.close())
  return server
}

/** An app logged in and known to the server (login is one-way: the server's map is the proof). */
async function app(server: RideServer, token: string) {
  const ride = createRideApp({ url: server.url, token, runtime: web(WebSocket), reconnect: { minDelay: 20, maxDelay: 100 } })
  cleanups.push(() => ride.close())
  ride.start()
  await ride.socket.ready()
  await eventually(() => expect(server.online.has(token)).toBe(true))
  return ride
}

function next(ride: RideApp, flag: string) {
  return new Promise<RideMessage>((resolve) => ride.socket.once(flag, resolve))
}

describe('examples/ride-hailing', () => {
  it('passenger orders, driver accepts (request/reply over flag messages), positions flow, passenger cancels', async () => {
    const server = await start()
    const passenger = await app(server, 'passenger-p1')
    const driver = await app(server, 'driver-d1')
    // The driver's page accepts every order it gets, answering with the order's msg_id.
    driver.socket.on('order', (order: RideMessage) => void driver.accept(order, { eta: 4, phone: '138-0000' }))

    const accepted = await passenger.order('driver-d1', { start: 'Station', end: 'Airport', lat: '23.11', lng: '113.11' })
    expect(accepted).toMatchObject({ flag: 'accept', token: 'driver-d1', target_token: 'passenger-p1', eta: 4 })
    expect(typeof accepted.reply_to).toBe('string')

    const travel = next(driver, 'travel')
    await passenger.travel('driver-d1', { start: 'Station', end: 'Airport', phone: '139-0000', msg: 'gate B' })
    expect(await travel).toMatchObject({ flag: 'travel', token: 'passenger-p1', end: 'Airport', msg: 'gate B' })

    const pickup = next(passenger, 'pickup')
    await driver.pickup('passenger-p1', { start: 'Depot', end: 'Station', msg: 'on my way' })
    expect(await pickup).toMatchObject({ flag: 'pickup', token: 'driver-d1', msg: 'on my way' })

    // Position updates arrive in order and exactly as the seed's format has them.
    const points: RideMessage[] = []
    passenger.socket.on('latlng', (point: RideMessage) => points.push(point))
    for (const [lat, lng] of [[23.1, 113.1], [23.2, 113.2], [23.3, 113.3]]) await driver.position('passenger-p1', lat, lng)
    await eventually(() => expect(points).toHaveLength(3))
    expect(points.map(({ flag, lat, lng, token, target_token }) => ({ flag, lat, lng, token, target_token }))).toEqual([
      { flag: 'latlng', lat: '23.1', lng: '113.1', token: 'driver-d1', target_token: 'passenger-p1' },
      { flag: 'latlng', lat: '23.2', lng: '113.2', token: 'driver-d1', target_token: 'passenger-p1' },
      { flag: 'latlng', lat: '23.3', lng: '113.3', token: 'driver-d1', target_token: 'passenger-p1' },
    ])

    const cancel = next(driver, 'cancel')
    await passenger.cancel('driver-d1', 'plans changed')
    expect(await cancel).toMatchObject({ flag: 'cancel', token: 'passenger-p1', msg: 'plans changed' })
    // Replies are not pushes: no handler ever saw the accept.
    expect(passenger.socket.status).toBe('online')
  })

  it('an order to a driver who is offline or declines rejects with a typed error, not a timeout', async () => {
    const server = await start()
    const passenger = await app(server, 'passenger-p1')
    const offline = await passenger.order('driver-d2', { start: 'A', end: 'B' }).catch((error: unknown) => error)
    expect(offline).toBeInstanceOf(ServerError)
    expect(offline).toMatchObject({ code: 404, event: 'order' })

    const driver = await app(server, 'driver-d1')
    driver.socket.on('order', (order: RideMessage) => void driver.decline(order, 'off duty'))
    const declined = await passenger.order('driver-d1', { start: 'A', end: 'B' }).catch((error: unknown) => error)
    expect(declined).toBeInstanceOf(ServerError)
    expect(declined).toMatchObject({ code: 409, body: { msg: 'off duty' } })
  })

  it('logout stays logged out: the server\'s {"flag":"close"} is final, no login follows', async () => {
    const server = await start()
    const passenger = await app(server, 'passenger-p1')
    const statuses: unknown[] = []
    passenger.socket.onStatus((status, _previous, error) => statuses.push([status, error && error.constructor.name]))
    await passenger.logout()
    await eventually(() => expect(passenger.socket.status).toBe('idle'))
    await expect(passenger.socket.ready()).rejects.toBeInstanceOf(KickedError)
    await expect(passenger.socket.ready()).rejects.toMatchObject({ code: 4409, reason: 'logged out' })
    expect(server.online.has('passenger-p1')).toBe(false)
    // Retries would come every 20-100 ms: after many such periods, still one login.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(server.logins.get('passenger-p1')).toBe(1)
    expect(statuses).toEqual([['idle', 'KickedError']])
  })

  it('the same driver logging in on a second device stops the first one for good, though its login() still has the token', async () => {
    const server = await start()
    const first = await app(server, 'driver-d1')
    const second = await app(server, 'driver-d1')
    await eventually(() => expect(first.socket.status).toBe('idle'))
    await expect(first.socket.ready()).rejects.toMatchObject({ name: 'KickedError', reason: 'logged in elsewhere' })
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(server.logins.get('driver-d1')).toBe(2)
    expect(server.online.size).toBe(1)
    expect(second.socket.status).toBe('online')
  })

  it('an unknown token is refused for good (AuthError); a socket that does not log in within 2 s is cut off', async () => {
    const server = await start()
    const stranger = createRideApp({ url: server.url, token: 'nobody', runtime: web(WebSocket), reconnect: { minDelay: 20, maxDelay: 100 } })
    cleanups.push(() => stranger.close())
    stranger.start()
    // One-way login: the client is online once the login is written, then the refusal stops it.
    await eventually(() => expect(stranger.socket.status).toBe('idle'))
    await expect(stranger.socket.ready()).rejects.toMatchObject({ name: 'AuthError', code: 4403 })
    await expect(stranger.socket.ready()).rejects.toBeInstanceOf(FinalError)

    const silent = new WebSocket(server.url)
    cleanups.push(() => silent.terminate())
    const closed = await new Promise<number>((resolve) => silent.once('close', resolve))
    expect(closed).toBe(4401)
  })

  it('a message missing a required field disconnects its sender, as in the seed; the app reconnects', async () => {
    const server = await start()
    const passenger = await app(server, 'passenger-p1')
    await passenger.socket.send('latlng', { token: 'passenger-p1', lat: '1', lng: '2' })
    await eventually(() => expect(server.logins.get('passenger-p1')).toBe(2))
    await passenger.socket.ready()
  })

  it("the README command plays a whole ride and exits by itself", () => {
    const run = spawnSync(process.execPath, [join(__dirname, '../../examples/ride-hailing/run.mjs')], { encoding: 'utf8', timeout: 60_000 })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    for (const line of ['passenger: accepted by driver-d1, eta 4 min', 'passenger: driver at 23.11, 113.11', 'driver: ride cancelled: plans changed', 'passenger: idle (KickedError: logged out)', 'passenger: idle after logout, logins: 1', 'ride over']) {
      expect(run.stdout).toContain(line)
    }
  })
})
