import { createClient } from 'redis'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'

const MAIN = join(__dirname, '../../examples/server/dist/main.mjs')
export const SECRET = 'e2e-secret'
export const PUSH_SECRET = 'e2e-push-secret'

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Waits until `line` matches something the process printed; rejects if it exits first. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeout = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeout} ms; output:\n${output}`)), timeout)
    const onData = (chunk: Buffer) => {
      output += chunk
      const match = output.match(pattern)
      if (match) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        resolve(match)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before ${pattern}; output:\n${output}`))
    })
  })
}

export interface ServerProcess {
  port: number
  url: string
  http: string
  child: ChildProcess
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>
  /** POSTs a push through this node; resolves with the JSON answer. */
  push(body: { event: string; msg: unknown; to?: string | string[]; channel?: string }): Promise<{ delivered: number }>
  kill(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Runs the built reference server (`npm run build` first) as its own process, or `entry`: a script
 * of the same contract (environment in, the same "reference server on" line out).
 */
export async function startServerProcess(env: Record<string, string> = {}, port = 0, entry = MAIN): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error('examples/server/dist is missing: run `npm run build` first (`npm test` does)')
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, MP_SECRET: SECRET, MP_PUSH_SECRET: PUSH_SECRET, PORT: String(port), QUIET: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const match = await waitForOutput(child, /reference server on ws:\/\/127\.0\.0\.1:(\d+)/)
  const actual = Number(match[1])
  const http = `http://127.0.0.1:${actual}`
  return {
    port: actual,
    url: `ws://127.0.0.1:${actual}/ws`,
    http,
    child,
    exited,
    async push(body) {
      const response = await fetch(`${http}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${PUSH_SECRET}` },
        body: JSON.stringify(body),
      })
      if (!response.ok) throw new Error(`push failed: ${response.status} ${await response.text()}`)
      return response.json()
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** Starts a server process that `cleanups` (run by the test's afterEach) will kill. */
export async function startServerProcessUntil(cleanups: Array<() => unknown>, env: Record<string, string> = {}, port = 0) {
  const started = await startServerProcess(env, port)
  cleanups.push(() => started.kill())
  return started
}

/**
 * A TCP proxy between clients and a server (or several: each new connection goes to the next one,
 * as a load balancer does), to make the network misbehave: `blackhole()` keeps
 * connections open but swallows every byte both ways (a half-open connection), `muteServer()` only
 * what the server sends (a request arrives and runs, its reply is lost), `cut()` resets them,
 * `shut()` resets them and refuses new ones at once until `open()` (the server "offline": a client
 * sees a failed connect and backs off, without waiting for a connect timeout).
 */
export async function startProxy(target: number | number[]) {
  const targets = Array.isArray(target) ? target : [target]
  const pairs = new Set<[Socket, Socket]>()
  let swallowing = false
  let muted = false
  let refusing = false
  let next = 0
  const server = createServer((client) => {
    if (refusing) return void client.resetAndDestroy()
    const upstream = connect(targets[next++ % targets.length], '127.0.0.1')
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const forward = (from: Socket, to: Socket, silenced: () => boolean) =>
      from.on('data', (chunk) => {
        if (!swallowing && !silenced()) to.write(chunk)
      })
    forward(client, upstream, () => false)
    forward(upstream, client, () => muted)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    get connections() {
      return pairs.size
    },
    blackhole: () => (swallowing = true),
    muteServer: () => (muted = true),
    restore: () => (swallowing = muted = false),
    cut() {
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy()
        upstream.destroy()
      }
    },
    shut() {
      refusing = true
      this.cut()
    },
    open: () => void (refusing = false),
    async close() {
      this.cut()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Starts `redis-server` on a free port with no persistence; fails clearly when it is not installed. */
export async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.once('error', () => {})
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    await waitForOutput(child, /Ready to accept connections/)
  } catch (error) {
    throw new Error(`redis-server did not start (install it: apt-get install -y redis-server): ${(error as Error).message}`)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGKILL')
      await exited
    },
  }
}

/**
 * Runs a command the way a README tells users to (an example's `node run.mjs`, a Python backend),
 * killed by `stop()` (pushed onto `cleanups` when given). Resolves once `started(output)` reads
 * what it needs from the command's output so far; throws with that output (and `hint`) when it
 * has not within 20 s.
 */
export async function startCommand<T extends object>(options: {
  command: string
  args: string[]
  env?: Record<string, string>
  started: (output: string) => T | undefined
  hint?: string
  cleanups?: Array<() => unknown>
}) {
  const child = spawn(options.command, options.args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
  }
  options.cleanups?.push(stop)
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const result = await eventually(() => {
    const value = options.started(output)
    if (value === undefined) throw new Error(`${options.args[0]} did not start${options.hint ? ` (${options.hint})` : ''}:\n${output}`)
    return value
  }, 20_000)
  return { ...result, stop }
}

/** Polls `check` until it stops throwing. */
export async function eventually<T>(check: () => T | Promise<T>, timeout = 10_000, interval = 20): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, interval))
    }
  }
}

/** Timers alive in this process right now (Node's own count). */
export const liveTimers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length

/**
 * Two CLI nodes on one redis-server (`env` added to theirs), and a Redis client for the test, as a
 * backend would publish with; all stopped through `cleanups`.
 */
export async function startTwoNodes(cleanups: Array<() => unknown>, env: Record<string, string> = {}) {
  const redis = await startRedis()
  cleanups.push(() => redis.stop())
  const [nodeA, nodeB] = await Promise.all([0, 1].map(() => startServerProcess({ REDIS_URL: redis.url, CHANNELS: '*', ...env })))
  cleanups.push(() => nodeA.kill(), () => nodeB.kill())
  const publisher = createClient({ url: redis.url })
  publisher.on('error', () => {})
  await publisher.connect()
  cleanups.push(() => publisher.destroy())
  return { redis, nodeA, nodeB, publisher }
}
