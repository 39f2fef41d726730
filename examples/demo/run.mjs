// `npm run demo`: the reference server on 127.0.0.1 plus a page that uses the SDK live.
// It stops by itself after DEMO_MINUTES (30 by default), or on Ctrl+C.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, signToken } from '../server/dist/index.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '../..')
const secret = process.env.MP_SECRET || 'demo-secret-' + Math.random().toString(36).slice(2)
const minutes = Number(process.env.DEMO_MINUTES || 30)

const page = readFileSync(join(here, 'index.html'))
const sdk = readFileSync(join(root, 'dist/mp-socket.global.js'))

function send(response, status, type, body) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  response.end(body)
}
const json = (response, status, body) => send(response, status, 'application/json; charset=utf-8', JSON.stringify(body))

async function readJson(request) {
  let body = ''
  for await (const chunk of request) {
    body += chunk
    if (body.length > 65536) return undefined
  }
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

const server = createServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT || 0),
  secret,
  log: (...args) => console.log(new Date().toISOString().slice(11, 19), ...args),
  // Demo-only routes: in a real deployment tokens come from your login API and pushes from your backend.
  async routes(request, response) {
    const url = new URL(request.url, 'http://demo')
    if (request.method === 'GET' && url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', page), true
    if (url.pathname === '/favicon.ico') return send(response, 204, 'image/x-icon', ''), true
    if (request.method === 'GET' && url.pathname === '/mp-socket.js') return send(response, 200, 'text/javascript; charset=utf-8', sdk), true
    if (request.method === 'GET' && url.pathname === '/demo/token') {
      const u = url.searchParams.get('u') || ''
      if (!/^user:\w{1,32}$/.test(u)) return json(response, 400, { error: 'u must look like user:1' }), true
      return json(response, 200, { u, token: signToken(secret, u) }), true
    }
    if (request.method === 'POST' && url.pathname === '/demo/push') {
      const body = await readJson(request)
      try {
        return json(response, 200, { delivered: await server.push(body || {}) }), true
      } catch (error) {
        return json(response, 400, { error: error.message }), true
      }
    }
    if (request.method === 'POST' && url.pathname === '/demo/drop') {
      const u = url.searchParams.get('u') || ''
      return json(response, 200, { dropped: await server.disconnect(u, 1012, 'dropped by the demo') }), true
    }
    return false
  },
})

server.handle('echo', (data) => data)
server.handle('time', () => new Date().toISOString())

await server.listen()
console.log(`\n  mp-socket demo: open http://127.0.0.1:${server.port}/ in a browser`)
console.log(`  (it stops by itself in ${minutes} minute${minutes === 1 ? "" : "s"}; Ctrl+C stops it now)\n`)

const stop = () => server.close().then(() => process.exit(0))
setTimeout(stop, minutes * 60_000).unref()
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
