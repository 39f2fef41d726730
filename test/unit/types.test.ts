import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import {
  createSocket,
  web,
  type ClosedError,
  type MpSocket,
  type Position,
  type Presence,
  type PresenceChange,
  type FinalError,
  type ServerError,
  type Status,
  type StatusListener,
  type WebSocketConstructor,
} from '../../src/index'
import { createTestRuntime } from '../../src/testing'

interface Pushes {
  chat1: { type: 'app'; event: 'chat1'; msg: string }
  user_tabbar: { type: 'app'; event: 'user_tabbar'; msg: number }
}
interface Requests {
  login: { data: { u: string; token: string }; body: string }
  history: { data: { chatId: number }; body: Array<{ text: string }> }
  ping: { data: undefined; body: string }
}

// Never constructed: nothing connects in these tests.
const WebSocketClass = WsWebSocket

// These are compile-time checks: the last test compiles this file, so `npm test` fails when one
// breaks (as `npm run typecheck` does); at run time they only make sure the calls run as written.
describe('typed event maps', () => {
  it('types push handlers, request data and reply bodies', () => {
    const socket = createSocket<Pushes, Requests>({ url: 'ws://x', runtime: web(WebSocketClass) })
    expectTypeOf(socket).toEqualTypeOf<MpSocket<Pushes, Requests>>()
    expectTypeOf(socket.status).toEqualTypeOf<Status>()
    socket.on('chat1', (message) => expectTypeOf(message.msg).toEqualTypeOf<string>())
    socket.once('user_tabbar', (message) => expectTypeOf(message.msg).toEqualTypeOf<number>())
    const history = socket.request('history', { chatId: 1 })
    history.catch(() => {})
    expectTypeOf(history).toEqualTypeOf<Promise<Array<{ text: string }>>>()
    expectTypeOf(socket.request<'login'>).parameter(1).toEqualTypeOf<{ u: string; token: string }>()
    // @ts-expect-error the entry's data is required
    socket.request('history').catch(() => {})
    // @ts-expect-error the entry's data is required
    socket.send('history')
    socket.request('ping').catch(() => {})
    socket.request('history', { chatId: 1 }, { timeout: 500 }).catch(() => {})
    // @ts-expect-error unknown push event
    socket.on('chat2', () => {})
    // @ts-expect-error wrong request data
    socket.request('history', { chatId: 'one' }).catch(() => {})
    // @ts-expect-error unknown request
    socket.request('nope').catch(() => {})
    socket.close()
  })

  it('is loose when untyped, like the seed pages that read msg.msg', () => {
    const socket = createSocket({ url: 'ws://x', runtime: web(WebSocketClass) })
    socket.on('anything', (message) => {
      const index: number = Number(message.msg)
      return index
    })
    const reply = socket.request('whatever', { any: 'data' })
    reply.catch(() => {})
    expectTypeOf(reply).resolves.toBeAny()
    socket.close()
  })

  it('checks the login payload against the login request of the map', () => {
    const options = { url: 'ws://x', runtime: web(WebSocketClass) }
    createSocket<Pushes, Requests>({ ...options, login: () => ({ u: 'user:1', token: 't' }) }).close()
    createSocket<Pushes, Requests>({ ...options, login: async () => null }).close()
    // @ts-expect-error a misspelt field
    createSocket<Pushes, Requests>({ ...options, login: () => ({ u: 'user:1', tokn: 't' }) }).close()
    // Untyped: any payload.
    createSocket({ ...options, login: () => ({ anything: 1 }) }).close()
  })

  it('types errors as they are thrown', () => {
    expectTypeOf<Parameters<StatusListener>[2]>().toEqualTypeOf<ClosedError | FinalError | undefined>()
    expectTypeOf<ServerError['code']>().toEqualTypeOf<number | string>()
  })

  it('types a channel by its own map, apart from the user pushes', () => {
    interface Fleet {
      location: { type: 'app'; event: 'location'; msg: { lat: number; lng: number } }
    }
    const socket = createSocket<Pushes, Requests>({ url: 'ws://x', runtime: web(WebSocketClass) })
    const fleet = socket.subscribe<Fleet>('fleet')
    fleet.on('location', (message) => expectTypeOf(message.msg.lat).toEqualTypeOf<number>())
    // @ts-expect-error a channel-only event is not a user push
    socket.on('location', () => {})
    // @ts-expect-error nor is a user push a publication of the channel
    fleet.on('chat1', () => {})
    // Without its own map, a channel takes the client's, as before.
    socket.subscribe('chat').on('chat1', (message) => expectTypeOf(message.msg).toEqualTypeOf<string>())
    expectTypeOf(fleet.presence).returns.resolves.toEqualTypeOf<Presence>()
    fleet.onPresence((change) => expectTypeOf(change).toEqualTypeOf<PresenceChange>())
    type Entry = Awaited<ReturnType<typeof fleet.history>>[number]
    expectTypeOf<Entry['event']>().toEqualTypeOf<'location'>()
    expectTypeOf<Entry['message']['msg']['lng']>().toEqualTypeOf<number>()
    expectTypeOf<Entry['position']>().toEqualTypeOf<Position>()
    expectTypeOf(fleet.history).toBeCallableWith({ limit: 20, before: { epoch: 'e', offset: 3 } })
    socket.close()
  })

  it('takes the WebSocket classes users have, without a cast', () => {
    expectTypeOf(WsWebSocket).toExtend<WebSocketConstructor>()
    expectTypeOf<typeof globalThis.WebSocket>().toExtend<WebSocketConstructor>()
    expectTypeOf(createTestRuntime).toBeCallableWith({ WebSocket: WsWebSocket })
  })
})

// The TypeScript compiler, in process, on this file and what it imports, with the tests' own
// tsconfig: vitest 4's typecheck mode would spawn tsc on the whole project and read its printed
// output, and changes how the files it matches run.
describe('this file', () => {
  it('compiles: every expectTypeOf holds and every @ts-expect-error still expects one', () => {
    const config = ts.getParsedCommandLineOfConfigFile(fileURLToPath(new URL('../tsconfig.json', import.meta.url)), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
      },
    })
    if (!config) throw new Error('test/tsconfig.json cannot be read')
    // The ambient declarations the sources rely on (src/globals.d.ts: `__DEV__`...) come along.
    const ambient = config.fileNames.filter((file) => file.endsWith('.d.ts'))
    const program = ts.createProgram([fileURLToPath(import.meta.url), ...ambient], config.options)
    const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      if (!diagnostic.file || diagnostic.start === undefined) return message
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
      return `${diagnostic.file.fileName}:${line + 1}: ${message}`
    })
    expect(errors).toEqual([])
  }, 120_000)
})
