// The reference server with the limits a benchmark would trip turned off; prints its port.
import { createServer } from '../../examples/server/dist/index.mjs'

const server = createServer({ secret: 'bench', port: Number(process.env.PORT || 0), rateLimit: false, maxPayload: 1 << 20, loginTimeout: 60_000, idleTimeout: 600_000 })
server.handle('echo', (data) => data)
await server.listen()
console.log(`PORT ${server.port}`)
process.on('SIGTERM', () => server.close().then(() => process.exit(0)))
