// The live-location server: mp-socket's reference server with Redis, plus what this system adds.
// - Couriers (`courier:<id>`, the mini-program) report with the request `location` {lat, lng}; it is
//   published on the channel `fleet` in the PHP backend's payload shape {user_id, lat, lng, timestamp}.
// - Backends publish their own payload on their own Redis channel, unchanged: the PHP API on
//   `tracking_updates`, the Django one on `dlchannel`. The ingest rules below turn each message
//   into a `location` publication on `fleet`, its payload as `msg`.
// - Operators (`operator:<name>`, the dashboard) may follow `fleet`; nobody else may.
// - Couriers follow `couriers`, listed in its presence while their app is connected; operators
//   watch it: the dashboard's "online" list.
// - `GET /fleet` answers the last known point of every courier: what a dashboard loads when it
//   could not recover what it missed. `GET /` is the dashboard, `GET /token` the demo's login.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ReplyError, createServer, signToken } from '../server/dist/index.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/** Who a payload is about, whichever backend published it; `undefined` when it has no position. */
export function courierOf(payload) {
  if (!payload || typeof payload !== 'object') return undefined
  // The Django backend: {"latitude","longitude","user":{"id","username"}}
  if (payload.user && typeof payload.user === 'object' && Number.isFinite(Number(payload.latitude))) return `driver:${payload.user.id}`
  // The PHP backend and the mini-program: {"user_id","lat","lng","timestamp"}
  if (payload.user_id !== undefined && Number.isFinite(Number(payload.lat))) return `courier:${payload.user_id}`
  return undefined
}

/**
 * @param {{ redisUrl: string, secret: string, port?: number, log?: (...args: unknown[]) => void }} options
 */
export function createLiveLocationServer({ redisUrl, secret, port = 0, log }) {
  /** courier → its last payload, as published */
  const last = new Map()
  const remember = (payload) => {
    const courier = courierOf(payload)
    if (courier) last.set(courier, payload)
    return courier
  }
  // What MP_INGEST='[{"from":"tracking_updates","event":"location","channel":"fleet"},…]' does, plus
  // remembering the last point for GET /fleet; a payload without a position is dropped.
  const ingest = ['tracking_updates', 'dlchannel'].map((from) => ({
    from,
    map: (payload) => (remember(payload) ? { event: 'location', msg: payload, channel: 'fleet' } : undefined),
  }))

  const page = readFileSync(join(here, 'dashboard/index.html'))
  const sdk = readFileSync(join(here, '../../dist/mp-socket.global.js'))
  const send = (response, type, body, status = 200) => {
    response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
    response.end(body)
  }

  const server = createServer({
    host: '127.0.0.1',
    port,
    secret,
    redisUrl,
    ingest,
    log,
    authorize: (channel, { user }) => {
      const operator = user.startsWith('operator:')
      if (channel === 'fleet') return operator
      if (channel === 'couriers') return operator ? { presence: 'watch' } : user.startsWith('courier:') && { presence: 'member' }
      return false
    },
    routes(request, response) {
      const url = new URL(request.url, 'http://localhost')
      if (request.method !== 'GET') return false
      if (url.pathname === '/') return send(response, 'text/html; charset=utf-8', page), true
      if (url.pathname === '/mp-socket.js') return send(response, 'text/javascript; charset=utf-8', sdk), true
      if (url.pathname === '/fleet') return send(response, 'application/json', JSON.stringify([...last.values()])), true
      if (url.pathname === '/token') {
        // Demo only: your login API checks who is asking before it signs anything.
        const u = url.searchParams.get('u') || ''
        if (!/^(operator|courier):\w{1,32}$/.test(u)) return send(response, 'application/json', '{"error":"u: operator:<name> or courier:<id>"}', 400), true
        return send(response, 'application/json', JSON.stringify({ u, token: signToken(secret, u) })), true
      }
      return false
    },
  })

  server.handle('location', async (data, { user, push }) => {
    const lat = Number(data && data.lat)
    const lng = Number(data && data.lng)
    if (!user.startsWith('courier:') || !Number.isFinite(lat) || !Number.isFinite(lng)) {
      throw new ReplyError(400, 'location needs a courier and numeric lat, lng')
    }
    const payload = { user_id: user.slice('courier:'.length), lat, lng, timestamp: Math.floor(Date.now() / 1000) }
    remember(payload)
    await push({ event: 'location', msg: payload, channel: 'fleet' })
    return 'ok'
  })

  return server
}
