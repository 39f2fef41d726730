// `npm run build && node examples/ride-hailing/run.mjs`: the server on a free port of 127.0.0.1,
// a passenger and a driver app on it, one ride from order to logout, each step printed. It exits
// when the ride is over (or after 60 s, whatever happens).
import { web } from 'mp-socket'
import { WebSocket } from 'ws'
import { createRideApp } from './ride-app.mjs'
import { createRideServer } from './server.mjs'

const watchdog = setTimeout(() => {
  console.error('ride-hailing: not done after 60 s')
  process.exit(1)
}, 60_000)

const users = { 'passenger-p1': { role: 'passenger', name: 'Li' }, 'driver-d1': { role: 'driver', name: 'Wang' } }
const server = createRideServer({ users, port: Number(process.env.PORT || 0), log: (...args) => console.log('  server:', ...args) })
await server.listen()
console.log(`ride-hailing server on ${server.url}`)

const runtime = web(WebSocket)
const passenger = createRideApp({ url: server.url, token: 'passenger-p1', runtime })
const driver = createRideApp({ url: server.url, token: 'driver-d1', runtime })

// The driver's page: accepts orders, tells the passenger where it is on the way.
driver.socket.on('order', (order) => {
  console.log(`driver: order from ${order.token}, ${order.start} → ${order.end}`)
  driver.accept(order, { eta: 4, phone: '138-0000-0000' })
})
driver.socket.on('travel', (trip) => console.log(`driver: trip details, note "${trip.msg}"`))
driver.socket.on('cancel', (message) => console.log(`driver: ride cancelled: ${message.msg}`))
// The passenger's page.
passenger.socket.on('pickup', (route) => console.log(`passenger: driver coming from ${route.start}: "${route.msg}"`))
passenger.socket.on('latlng', (point) => console.log(`passenger: driver at ${point.lat}, ${point.lng}`))
passenger.socket.onStatus((status, _previous, error) => error && console.log(`passenger: ${status} (${error.name}: ${error.reason})`))

passenger.start()
driver.start()
await Promise.all([passenger.socket.ready(), driver.socket.ready()])
// Login is one-way in this protocol: wait until the server has both.
while (server.online.size < 2) await new Promise((resolve) => setTimeout(resolve, 10))

const accepted = await passenger.order('driver-d1', { start: 'Station', end: 'Airport', lat: '23.11', lng: '113.11' })
console.log(`passenger: accepted by ${accepted.token}, eta ${accepted.eta} min`)
await passenger.travel('driver-d1', { start: 'Station', end: 'Airport', phone: '139-0000-0000', msg: 'gate B' })
await driver.pickup('passenger-p1', { start: 'Depot', end: 'Station', msg: 'on my way' })
for (const [lat, lng] of [[23.1, 113.1], [23.105, 113.105], [23.11, 113.11]]) {
  await driver.position('passenger-p1', lat, lng)
  await new Promise((resolve) => setTimeout(resolve, 100))
}
await passenger.cancel('driver-d1', 'plans changed')
await passenger.logout()
await passenger.socket.ready().catch(() => {})
await new Promise((resolve) => setTimeout(resolve, 300))
console.log(`passenger: ${passenger.socket.status} after logout, logins: ${server.logins.get('passenger-p1')}`)

passenger.close()
driver.close()
await server.close()
clearTimeout(watchdog)
console.log('ride over')
