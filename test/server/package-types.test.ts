// `mp-socket-server` as a TypeScript user gets it: the packed tarball (`npm run build` first), a
// project compiled strict against its declarations with no cast, then run against the same files.
import { spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pack, ROOT, type Packed } from '../support/pack'

let packed: Packed

beforeAll(() => {
  packed = pack(join(ROOT, 'examples/server'))
  for (const name of ['ws', 'redis', '@redis', 'cluster-key-slot', '@types/node', 'undici-types']) {
    const target = join(packed.project, 'node_modules', name)
    mkdirSync(join(target, '..'), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules', name), target, 'dir')
  }
}, 60_000)
afterAll(() => packed?.remove())

// Every export in use, the handler's context and the server object typed as written, and
// `@ts-expect-error` where a wrong call must not compile (an `any` anywhere would make it unused).
const USER_CODE = `
import {
  allowPatterns, CloseCode, createServer, ReplyCode, ReplyError, SerializationError, signToken, verifyToken,
  type DisconnectInput, type Handler, type HandlerContext, type PushInput, type ReferenceServer, type ServerOptions, type TokenCheck,
} from 'mp-socket-server'

const options: ServerOptions = {
  secret: 'types-secret',
  authorize: allowPatterns(['courier:*']),
  history: { size: 10 },
  ingest: [{ from: 'tracking_updates', event: 'location', channel: 'courier:{user_id}' }],
  verifyLogin: (u, token): TokenCheck => verifyToken('types-secret', u, token),
}
const server: ReferenceServer = createServer(options)

const echo: Handler = (data, context: HandlerContext) => ({ data, from: context.user, socket: context.socketId, id: context.requestId })
server
  .handle('echo', echo)
  .handle('send', async (data, { user, push }) => {
    if (typeof data !== 'string') throw new ReplyError(ReplyCode.badRequest, 'text expected')
    const reached: number = await push({ event: 'chat', msg: { from: user, text: data }, channel: 'courier:1' })
    return reached
  })

const input: PushInput = { event: 'order', msg: { id: 7 }, to: ['user:6', 'user:7'] }
// The body of POST /disconnect and of {"disconnect": ...} on Redis, as a Node backend would send it.
const order: DisconnectInput = { to: ['user:6'], code: CloseCode.kicked, reason: 'logged in elsewhere' }
// @ts-expect-error a push needs an event
const noEvent: PushInput = { to: 'user:6' }
// @ts-expect-error a handler's context has no such field
server.handle('bad', (_data, context) => context.nothing)

export async function run(): Promise<string> {
  const listening: ReferenceServer = await server.listen()
  const delivered: number = await listening.push(input)
  const disconnected: number = await listening.disconnect(order.to, order.code, order.reason)
  // @ts-expect-error disconnect resolves with a number
  const wrong: string = await listening.disconnect('user:6')
  const port: number = listening.port
  const token: string = signToken('types-secret', 'user:6', { expiresIn: 60 })
  const refused = await listening.push({ event: 'e', msg: 1n, to: 'user:6' }).catch((error: unknown) => error instanceof SerializationError)
  await listening.close()
  return [delivered, disconnected, port > 0, token.includes('.'), refused, typeof noEvent, wrong].join(' ')
}
`

describe('mp-socket-server ships declarations for everything it exports', () => {
  it('a strict TypeScript project compiles against the packed tarball, and runs', () => {
    expect(packed.files).toContain('dist/index.d.mts')
    const dir = join(packed.project, 'user')
    mkdirSync(dir)
    writeFileSync(join(dir, 'server.ts'), USER_CODE)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    const compilerOptions = {
      strict: true,
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      skipLibCheck: false,
      outDir: 'out',
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['server.ts'] }))
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' })
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.status).toBe(0)

    const script = "import('./out/server.js').then(async (m) => console.log(await m.run()))"
    const node = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
    expect(node.stderr).toBe('')
    expect(node.stdout.trim()).toBe('0 0 true true true object 0')
  }, 60_000)
})
