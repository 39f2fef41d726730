// `npm run build && node examples/customer-service/run.mjs` (after `npm ci --prefix examples/uni-app`):
// builds the customer's uni-app for H5, starts the server on 127.0.0.1 and prints the agent's page
// and a customer's link. Stops by itself after MINUTES (30 by default), or on Ctrl+C.
// SKIP_BUILD=1 serves the build already in customer/dist.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signToken } from '../server/dist/index.mjs'
import { buildCustomer } from './build-customer.mjs'
import { createServiceServer } from './server.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const minutes = Number(process.env.MINUTES || 30)
const secret = process.env.MP_SECRET || 'customer-service-' + Math.random().toString(36).slice(2)

const customerApp = process.env.SKIP_BUILD ? join(here, 'customer/dist/build/h5') : buildCustomer()
const server = createServiceServer({
  secret,
  customerApp,
  port: Number(process.env.PORT || 0),
  redisUrl: process.env.REDIS_URL,
  log: process.env.QUIET ? undefined : (...args) => console.log(new Date().toISOString().slice(11, 19), ...args),
})
await server.listen()
const http = `http://127.0.0.1:${server.port}`
const customer = 'user:o1'
const query = new URLSearchParams({ ws: `ws://127.0.0.1:${server.port}/ws`, u: customer, token: signToken(secret, customer) })

console.log(`\n  customer service: agent page ${http}/agent?agent=agent:amy`)
console.log(`  customer app (uni-app H5): ${http}/app/?${query}`)
console.log(`  (it stops by itself in ${minutes} minute${minutes === 1 ? '' : 's'}; Ctrl+C stops it now)\n`)

const stop = () => server.close().then(() => process.exit(0))
setTimeout(stop, minutes * 60_000).unref()
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
