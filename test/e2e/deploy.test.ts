// docs/deploy.md, step by step, against real processes on 127.0.0.1: Debian's nginx terminating
// TLS (a throwaway CA made here with openssl) in front of two CLI nodes, the SDK on wss://; /health
// through the proxy; draining a node before a deploy; the shipped systemd unit; Redis with and
// without appendonly across a restart; the sizing figures, taken from docs/benchmarks.md.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, type ClientOptions } from 'ws'
import { signToken } from '../../examples/server/src/token'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import type { ClosedError } from '../../src/errors'
import type { Recovery } from '../../src/types'
import type { MpSocket } from '../../src/types'
import { ROOT } from '../support/pack'
import { PUSH_SECRET, SECRET, eventually, freePort, startProxy, startRedis, startServerProcess, type ServerProcess } from '../support/processes'

const run = promisify(execFile)
const NGINX = '/usr/sbin/nginx'
const doc = () => readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8')
const shipped = (file: string) => readFileSync(join(ROOT, 'examples/deploy', file), 'utf8')

/** `text` with each `[from, to]` replaced, failing if the shipped file no longer has `from`. */
function substitute(text: string, replacements: Array<[string, string]>) {
  for (const [from, to] of replacements) {
    expect(text, `the shipped file has ${from}`).toContain(from)
    text = text.split(from).join(to)
  }
  return text
}

const tmp = mkdtempSync(join(tmpdir(), 'mp-socket-deploy-'))
const cleanups: Array<() => unknown> = []
const each: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of each.splice(0).reverse()) await cleanup()
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  rmSync(tmp, { recursive: true, force: true })
})

/** A CA and a certificate it signed for 127.0.0.1 and localhost, as a real CA would issue for the domain. */
async function throwawayCa(dir: string) {
  const at = (name: string) => join(dir, name)
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=mp-socket test CA', '-keyout', at('ca.key'), '-out', at('ca.pem')])
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', at('privkey.pem'), '-out', at('server.csr')])
  writeFileSync(at('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  await run('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at('san.ext'), '-out', at('fullchain.pem')])
  return { ca: readFileSync(at('ca.pem')), cert: at('fullchain.pem'), key: at('privkey.pem') }
}

/** Debian's nginx with the shipped site config, on a free loopback port, with its own prefix and temp dirs. */
async function startNginx(dir: string, upstreams: number[], tls: { cert: string; key: string }) {
  const port = await freePort()
  mkdirSync(join(dir, 'logs'), { recursive: true })
  const site = substitute(shipped('nginx.conf'), [
    ['listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`],
    ['server 127.0.0.1:9502 ', `server 127.0.0.1:${upstreams[0]} `],
    ['server 127.0.0.1:9503 ', `server 127.0.0.1:${upstreams[1]} `],
    ['/etc/ssl/mp-socket/fullchain.pem', tls.cert],
    ['/etc/ssl/mp-socket/privkey.pem', tls.key],
  ])
  writeFileSync(join(dir, 'mp-socket.conf'), site)
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${join(dir, kind)};`).join('\n  ')
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;\nmaster_process off;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'logs/error.log')} warn;\nevents { worker_connections 512; }\nhttp {\n  access_log off;\n  ${temp}\n  include ${join(dir, 'mp-socket.conf')};\n}\n`,
  )
  if (!existsSync(NGINX)) throw new Error('nginx is missing: apt-get install -y nginx (.ci/run does)')
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs/error.log')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  cleanups.push(async () => {
    child.kill('SIGQUIT')
    await exited
  })
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output}${readFileSync(join(dir, 'logs/error.log'), 'utf8')}`)
    await new Promise<void>((resolve, reject) => {
      const probe = httpsRequest({ host: '127.0.0.1', port, path: '/health', rejectUnauthorized: false }, (response) => {
        response.resume()
        resolve()
      })
      probe.on('error', reject)
      probe.end()
    })
  })
  return { port, wss: `wss://127.0.0.1:${port}/ws` }
}

describe('behind nginx with TLS', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  const nodes: ServerProcess[] = []
  let ports: number[]
  let proxy: Awaited<ReturnType<typeof startNginx>>
  let ca: Buffer
  const env = () => ({ REDIS_URL: redis.url, CHANNELS: 'room:*', HOST: '127.0.0.1' })

  beforeAll(async () => {
    redis = await startRedis()
    cleanups.push(() => redis.stop())
    ports = [await freePort(), await freePort()]
    for (const port of ports) nodes.push(await startServerProcess(env(), port))
    cleanups.push(() => Promise.all(nodes.map((node) => node.kill())))
    const tls = await throwawayCa(tmp)
    ca = tls.ca
    proxy = await startNginx(join(tmp, 'nginx'), ports, tls)
  }, 60_000)

  /** HTTPS through nginx, trusting the test's CA only. */
  function https(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        { host: '127.0.0.1', port: proxy.port, path, method, ca, headers: body ? { 'content-type': 'application/json', authorization: `Bearer ${PUSH_SECRET}` } : {} },
        (response) => {
          let text = ''
          response.on('data', (chunk) => (text += chunk))
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }))
        },
      )
      request.on('error', reject)
      request.end(body ? JSON.stringify(body) : undefined)
    })
  }

  /** `ws` trusting the test's CA, as a Node client of a private deployment would. */
  const TrustingWebSocket = class extends WebSocket {
    constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
      super(url, protocols, { ...options, ca })
    }
  }

  async function phone(user: string) {
    const got = { user: [] as string[], channel: [] as string[], closes: [] as number[], logins: [] as Recovery[] }
    const socket: MpSocket = createSocket({
      url: proxy.wss,
      runtime: web(TrustingWebSocket),
      login: () => ({ u: user, token: signToken(SECRET, user) }),
      heartbeat: false,
      reconnect: { minDelay: 20, maxDelay: 100 },
    })
    each.push(() => socket.close())
    socket.on('e', (message) => got.user.push(message.msg))
    socket.onStatus((status, _previous, error) => status === 'idle' && got.closes.push((error as ClosedError).code))
    socket.onLoggedIn((recovery) => got.logins.push(recovery))
    const room = socket.subscribe('room:1')
    room.on('e', (message) => got.channel.push(message.msg))
    socket.connectionLoop()
    await room.ready()
    return { socket, got }
  }

  const connections = async () =>
    Promise.all(nodes.map(async (node) => ((await (await fetch(`${node.http}/health`)).json()) as { connections: number }).connections))

  it('the SDK connects over wss:// through nginx to both nodes, and a push through either reaches everyone', async () => {
    const phones = await Promise.all(['user:1', 'user:2', 'user:3', 'user:4'].map(phone))
    // Round robin, no stickiness: both nodes hold clients.
    const spread = await connections()
    expect(spread.reduce((a, b) => a + b)).toBe(4)
    expect(spread.every((count) => count > 0)).toBe(true)
    expect(await https('POST', '/push', { event: 'e', msg: 'all', channel: 'room:1' })).toEqual({ status: 200, body: { delivered: 4 } })
    expect(await nodes[1].push({ event: 'e', msg: 'direct', to: ['user:1', 'user:2', 'user:3', 'user:4'] })).toEqual({ delivered: 4 })
    for (const { got } of phones) {
      await eventually(() => expect(got.channel).toEqual(['all']))
      await eventually(() => expect(got.user).toEqual(['direct']))
    }
  })

  it('answers GET /health through the proxy, for the load balancer', async () => {
    const { status, body } = await https('GET', '/health')
    expect(status).toBe(200)
    expect(body).toMatchObject({ ok: true, connections: expect.any(Number) })
  })

  it('a node drained before a deploy: its clients move to the other one through nginx, lose nothing, and the new node takes clients again', async () => {
    const phones = await Promise.all(['user:5', 'user:6', 'user:7', 'user:8'].map(phone))
    const before = await connections()
    expect(before[0]).toBeGreaterThan(0)
    const moved = phones.length
    expect(await nodes[0].kill('SIGTERM')).toBe(0)
    await nodes[1].push({ event: 'e', msg: 'while moving', to: ['user:5', 'user:6', 'user:7', 'user:8'] })
    await eventually(async () => expect((await (await fetch(`${nodes[1].http}/health`)).json()).connections).toBe(moved), 15_000)
    for (const { got } of phones) {
      await eventually(() => expect(got.user).toEqual(['while moving']))
      expect(got.closes.every((code) => code === 1012)).toBe(true)
    }
    // The deploy: the new version on the same port; nginx sends new clients to it again.
    nodes[0] = await startServerProcess(env(), ports[0])
    await eventually(async () => {
      const extra = await phone(`user:new-${Date.now()}`)
      expect((await (await fetch(`${nodes[0].http}/health`)).json()).connections).toBeGreaterThan(0)
      return extra
    }, 15_000, 500)
  })
})

describe('systemd', () => {
  it('the shipped unit verifies, and its command and environment run a node that drains on SIGTERM', async () => {
    const unit = shipped('mp-socket-server@.service')
    const port = await freePort()
    const main = join(ROOT, 'examples/server/dist/main.mjs')
    const dir = join(tmp, 'systemd')
    mkdirSync(dir, { recursive: true })
    const envFile = join(dir, 'env')
    writeFileSync(envFile, `MP_SECRET=${SECRET}\nQUIET=1\n`)
    const local = substitute(unit, [
      ['/usr/bin/node /opt/mp-socket/node_modules/mp-socket-server/dist/main.mjs', `${process.execPath} ${main}`],
      ['EnvironmentFile=/etc/mp-socket/env', `EnvironmentFile=${envFile}`],
    ])
    const file = join(dir, `mp-socket-server@${port}.service`)
    writeFileSync(file, local)
    const verify = await run('systemd-analyze', ['verify', file]).catch((error) => error)
    expect(verify.stderr ?? String(verify)).toBe('')

    // What systemd would run: ExecStart with Environment= (%i, the instance, is the port) and the file.
    const section = (key: string) => [...local.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((match) => match[1].replace(/%i/g, String(port)))
    const environment = Object.fromEntries(
      [...section('Environment').flatMap((line) => line.split(' ')), ...readFileSync(envFile, 'utf8').trim().split('\n')].map((pair) => pair.split('=') as [string, string]),
    )
    expect(environment).toMatchObject({ PORT: String(port), HOST: '127.0.0.1' })
    expect(section('KillSignal')).toEqual(['SIGTERM'])
    const [command, ...args] = section('ExecStart')[0].split(' ')
    const child = spawn(command, args, { env: { PATH: process.env.PATH, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    each.push(() => child.kill('SIGKILL'))
    await eventually(async () => expect((await (await fetch(`http://127.0.0.1:${port}/health`)).json()).ok).toBe(true))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})

describe('Redis persistence and recovery', () => {
  /** redis-server on `port` with `persistence` flags, data in `dir`; stop() shuts it down as systemd would (SIGTERM). */
  async function redisServer(port: number, dir: string, persistence: readonly string[]) {
    mkdirSync(dir, { recursive: true })
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...persistence], { stdio: 'ignore' })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const stop = async () => {
      child.kill('SIGTERM')
      await exited
    }
    each.push(stop)
    const probe = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } })
    probe.on('error', () => {})
    await eventually(async () => {
      await probe.connect()
      await probe.ping()
    })
    probe.destroy()
    return { stop }
  }

  for (const [setting, persistence, recovered] of [
    ['appendonly yes', ['--appendonly', 'yes', '--save', ''], true],
    ['no persistence', ['--appendonly', 'no', '--save', ''], false],
  ] as const) {
    it(`${setting}: a client away while Redis restarts ${recovered ? 'recovers what it missed' : 'is told recovered: false'}`, async () => {
      const port = await freePort()
      const dir = join(tmp, `redis-${port}`)
      let redis = await redisServer(port, dir, persistence)
      const node = await startServerProcess({ REDIS_URL: `redis://127.0.0.1:${port}` })
      each.push(() => node.kill())
      const link = await startProxy(node.port)
      each.push(() => link.close())
      const got: string[] = []
      const logins: Recovery[] = []
      const socket: MpSocket = createSocket({
        url: link.url,
        runtime: web(WebSocket),
        login: () => ({ u: 'user:away', token: signToken(SECRET, 'user:away') }),
        heartbeat: false,
        reconnect: { minDelay: 20, maxDelay: 100 },
      })
      each.push(() => socket.close())
      socket.on('e', (message) => got.push(message.msg))
      socket.onLoggedIn((recovery) => logins.push(recovery))
      socket.connectionLoop()
      await socket.ready()
      await node.push({ event: 'e', msg: '1', to: 'user:away' })
      await eventually(() => expect(got).toEqual(['1']))

      link.shut()
      await eventually(() => expect(socket.status).not.toBe('online'))
      await node.push({ event: 'e', msg: '2', to: 'user:away' })
      await node.push({ event: 'e', msg: '3', to: 'user:away' })
      await redis.stop()
      redis = await redisServer(port, dir, persistence)
      // The node reconnects to Redis by itself.
      await eventually(async () => expect(await node.push({ event: 'probe', msg: null, to: 'user:nobody' })).toEqual({ delivered: 0 }))
      link.open()
      await eventually(() => expect(logins).toHaveLength(2))
      expect(logins[1]).toEqual({ recovered })
      if (recovered) await eventually(() => expect(got).toEqual(['1', '2', '3']))
      else expect(got).toEqual(['1'])
    })
  }
})

describe('docs/deploy.md', () => {
  it('shows the shipped nginx config and systemd unit as they are', () => {
    for (const file of ['nginx.conf', 'mp-socket-server@.service']) {
      const block = doc().match(new RegExp(`<!-- file: examples/deploy/${file.replace('.', '\\.')} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)^\`\`\`$`, 'm'))
      expect(block, `docs/deploy.md shows examples/deploy/${file}`).not.toBeNull()
      expect(block![1]).toBe(shipped(file))
    }
  })

  it('sizes from the figures docs/benchmarks.md measured', () => {
    const benchmarks = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8')
    const quoted = [...doc().matchAll(/\(benchmarks: ([^)]+)\)/g)].map((match) => match[1])
    expect(quoted.length).toBeGreaterThanOrEqual(3)
    for (const figure of quoted) expect(benchmarks, `docs/benchmarks.md measured ${figure}`).toContain(figure)
  })
})
