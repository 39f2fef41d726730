// The exactly-once snippets of docs/protocol.md (examples/backends/{python,php,go}/dedupe.*) run for real
// against redis-server: two processes of each play two nodes of one backend, and the reference
// server shares their keys. Needs /usr/bin/python3 with python3-redis, php with php-redis, and go
// (Debian: apt-get install -y python3-redis php8.2-cli php-redis golang-go; .ci/run installs them).
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../../examples/server/src/token'
import { COUNTING_NODE, runsOf } from '../support/exactly-once'
import { SECRET, startRedis, startServerProcess } from '../support/processes'
import { rawClient } from '../support/raw'

const BACKENDS = join(__dirname, '../../examples/backends')
const PROTOCOL = readFileSync(join(__dirname, '../../docs/protocol.md'), 'utf8')
const build = mkdtempSync(join(tmpdir(), 'mp-socket-backends-'))
const cleanups: Array<() => unknown> = [() => rmSync(build, { recursive: true, force: true })]
let redis: Awaited<ReturnType<typeof startRedis>>

beforeAll(async () => {
  redis = await startRedis()
  cleanups.push(() => redis.stop())
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

const backends = [
  { name: 'Python (Django)', file: 'python/dedupe.py', command: () => ['/usr/bin/python3', join(BACKENDS, 'python/dedupe.py')] },
  { name: 'PHP (Laravel/Swoole)', file: 'php/dedupe.php', command: () => ['php', join(BACKENDS, 'php/dedupe.php')] },
  {
    name: 'Go',
    file: 'go/dedupe.go',
    command() {
      const binary = join(build, 'dedupe')
      execFileSync('go', ['build', '-o', binary, join(BACKENDS, 'go/dedupe.go')], { env: { ...process.env, GOCACHE: join(build, 'cache') } })
      return [binary]
    },
  },
]

type Reply = { error: number; body: unknown }

/** One backend process: a request a line in, `{uuid, reply}` a line out, in order. */
function node(command: string[], url: string) {
  const child = spawn(command[0], [...command.slice(1), url], { stdio: ['pipe', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  cleanups.push(async () => {
    child.stdin.end()
    child.kill('SIGKILL')
    await exited
  })
  let output = ''
  let errors = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (chunk) => {
    output += chunk
    for (const wake of waiters.splice(0)) wake()
  })
  child.stderr.on('data', (chunk) => (errors += chunk))
  let read = 0
  return {
    /** Sends a request; resolves with its reply data (requests are answered in order). */
    async ask(request: { user: string; uuid: string; key: string; ms?: number; fail?: boolean }): Promise<Reply> {
      child.stdin.write(`${JSON.stringify(request)}\n`)
      const index = read++
      for (let waited = 0; ; waited++) {
        const lines = output.split('\n').filter(Boolean)
        if (lines.length > index) {
          const line = JSON.parse(lines[index])
          expect(line.uuid).toBe(request.uuid)
          return line.reply
        }
        if (child.exitCode !== null || waited > 600) throw new Error(`${command.join(' ')}: no reply; stderr:\n${errors}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
  }
}

describe.each(backends.map((backend, index) => ({ ...backend, database: index + 1 })))('exactly once in $name', ({ file, command, database }) => {
  const url = () => `${redis.url}/${database}`
  const count = async (key: string) => {
    const client = createClient({ url: url() })
    client.on('error', () => {})
    await client.connect()
    try {
      return Number((await client.get(`count:${key}`)) ?? 0)
    } finally {
      client.destroy()
    }
  }

  it('docs/protocol.md shows this file', () => {
    const source = readFileSync(join(BACKENDS, file), 'utf8')
    const snippet = source.split(/^.*exactly-once:start\n/m)[1].split(/^.*exactly-once:end$/m)[0].trimEnd()
    expect(snippet.split('\n').length).toBeGreaterThan(10)
    expect(PROTOCOL).toContain(snippet)
  })

  it('two nodes, the same request at once: it runs once; a resend, an error reply and another user', async () => {
    const program = command()
    const nodes = [node(program, url()), node(program, url())]
    const both = await Promise.all(nodes.map((one, n) => one.ask({ user: 'user:1', uuid: 'a', key: `a-${n}`, ms: 300 })))
    expect(both[0]).toEqual(both[1])
    const ran = both[0].body as string
    expect(['a-0', 'a-1']).toContain(ran)
    expect(await count(ran)).toBe(1)
    expect(await count(ran === 'a-0' ? 'a-1' : 'a-0')).toBe(0)
    // Later, on either node: the stored reply, nothing run.
    expect(await nodes[0].ask({ user: 'user:1', uuid: 'a', key: 'a-later' })).toEqual({ error: 0, body: ran })
    expect(await count('a-later')).toBe(0)
    // An error reply is stored too.
    expect(await nodes[0].ask({ user: 'user:1', uuid: 'b', key: 'b', fail: true })).toEqual({ error: 409, body: 'refused' })
    expect(await nodes[1].ask({ user: 'user:1', uuid: 'b', key: 'b', fail: true })).toEqual({ error: 409, body: 'refused' })
    expect(await count('b')).toBe(1)
    // Keyed per user: the same id of another user runs for that user.
    expect(await nodes[1].ask({ user: 'user:2', uuid: 'a', key: 'a-user2' })).toEqual({ error: 0, body: 'a-user2' })
  })

  it('shares its keys with the reference server, whatever the user name holds: each answers the other\'s stored reply', async () => {
    // Characters JSON encoders spell differently (encoding/json: <, >, &, U+2028/9, \b, \f; PHP: U+2028/9).
    const user = 'user:3 <&> \u2028\u2029 \b\f\u0001 "\\ é/'
    const backend = node(command(), url())
    const reference = await startServerProcess({ REDIS_URL: url(), COUNTER_URL: url() }, 0, COUNTING_NODE)
    cleanups.push(() => reference.kill())
    const client = await rawClient(reference.url)
    cleanups.push(() => client.close())
    client.send({ event: 'login', data: { u: user, token: signToken(SECRET, user) }, uuid: 'login' })
    await client.waitFor((message) => message.type === 'respon' && message.event === 'login')

    expect(await backend.ask({ user, uuid: 'from-backend', key: 'from-backend' })).toEqual({ error: 0, body: 'from-backend' })
    client.send({ event: 'work', data: { key: 'reference-ran' }, uuid: 'from-backend' })
    const stored = await client.waitFor((message) => message.type === 'respon' && message.event === 'from-backend')
    expect(stored.data).toEqual({ error: 0, body: 'from-backend' })

    client.send({ event: 'work', data: { key: 'from-reference' }, uuid: 'from-reference' })
    await client.waitFor((message) => message.type === 'respon' && message.event === 'from-reference')
    expect(await backend.ask({ user, uuid: 'from-reference', key: 'backend-ran' })).toEqual({ error: 0, body: 'from-reference' })
    expect(await count('backend-ran')).toBe(0)
    const runs = await runsOf(url())
    expect([...runs.keys()]).toEqual(['from-reference'])
  })
})
