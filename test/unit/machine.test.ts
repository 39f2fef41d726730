// The connection's state machine on its own (issue 16): every state against every event, with the
// transition table checked on every `enter` (development builds throw on an illegal transition).
// Liveblocks tests its fsm this way, beside the connection's behaviour tests (connection.test.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createConnection } from '../../src/connection'
import { resolveOptions, type SocketOptions } from '../../src/options'
import { createRequests } from '../../src/requests'
import { TRANSITIONS, type State } from '../../src/states'
import { fakeAdapter, flush } from '../support/fake-adapter'

type Setup = ReturnType<typeof setup>

function setup(overrides: Partial<SocketOptions> = {}) {
  const fake = fakeAdapter()
  const resolved = resolveOptions({
    url: 'wss://example.test/ws',
    login: () => ({ u: 'user:6', token: 't' }),
    reconnect: { minDelay: 1000, jitter: 0 },
    heartbeat: { interval: 30_000, timeout: 10_000 },
    ...overrides,
  })
  const entered: State[] = []
  const connection = createConnection(resolved, fake.adapter, {
    request: (event, data, timeout) => requests.make(event, data, timeout, true, true),
    message: (message) => message.kind === 'reply' && requests.settle(message),
    online: () => requests.flush(0),
    dropped: (error, stopped) => requests.fail(error, stopped),
    status: () => {},
    entered: (state) => entered.push(state),
  })
  const requests = createRequests(resolved, connection)
  const state = () => entered[entered.length - 1] || 'stopped'
  return { fake, connection, entered, state }
}

/** The states with an attempt running: opening, logging in, online. */
const WITH_AN_ATTEMPT: State[] = ['connecting', 'authenticating', 'online', 'awaiting-pong']

/** How to bring a fresh machine into each state. */
const reach: Record<State, (s: Setup) => Promise<void> | void> = {
  stopped: () => {},
  'waiting-login': () => {},
  connecting: async ({ connection }) => {
    connection.start_()
    await flush()
  },
  backoff: async (s) => {
    await reach.connecting(s)
    s.fake.last.fail()
  },
  authenticating: async (s) => {
    await reach.connecting(s)
    s.fake.last.open()
  },
  online: async (s) => {
    await reach.authenticating(s)
    s.fake.last.reply('login', 'ok')
    await flush()
  },
  'awaiting-pong': async (s) => {
    await reach.online(s)
    await vi.advanceTimersByTimeAsync(30_000)
  },
  suspended: async (s) => {
    await reach.online(s)
    hideFor5s(s)
    s.fake.last.serverClose(1000, 'interrupted')
  },
  closed: ({ connection }) => connection.close_(),
}

/** The app goes to the background and the runtime's grace period passes (no timer fires). */
function hideFor5s({ connection }: Setup) {
  connection.visible_(false)
  vi.setSystemTime(Date.now() + 5000)
}

/** The events the machine takes; `socket` ones need an attempt with a socket. */
const events: Record<string, (s: Setup) => Promise<void> | void> = {
  start: ({ connection }) => connection.start_(),
  reconnect: ({ connection }) => connection.reconnect_(),
  wake: ({ connection }) => connection.wake_(),
  close: ({ connection }) => connection.close_(),
  'next timer': () => vi.advanceTimersToNextTimerAsync().then(() => {}),
  'socket open': ({ fake }) => fake.last.open(),
  'socket error': ({ fake }) => fake.last.fail(),
  'server close 1006': ({ fake }) => fake.last.serverClose(1006),
  'server close 4409 (final)': ({ fake }) => fake.last.serverClose(4409, 'kicked'),
  'close frame 4409 (final)': ({ fake }) => fake.last.receive({ type: 'close', code: 4409, reason: 'kicked' }),
  'login accepted': ({ fake }) => fake.last.reply('login', 'ok'),
  'login refused 401': ({ fake }) => fake.last.reply('login', 'no', 401),
  'any frame': ({ fake }) => fake.last.receive({ type: 'app', event: 'e' }),
  'shown (visible, wake)': ({ connection }) => {
    connection.visible_(true)
    connection.wake_()
  },
  'hidden 5 s, then the next timer': (s) => {
    hideFor5s(s)
    return events['next timer'](s)
  },
  'hidden 5 s, then the socket fails': (s) => {
    hideFor5s(s)
    return events['socket error'](s)
  },
  'hidden 5 s, then start': (s) => {
    hideFor5s(s)
    s.connection.start_()
  },
  'hidden 5 s, then kicked': (s) => {
    hideFor5s(s)
    return events['close frame 4409 (final)'](s)
  },
}

// What each event leads to from each state: the states entered, in order ([] : ignored). Events
// that need a socket are listed only for states that have one.
const expected: Record<State, Record<string, State[]>> = {
  stopped: { start: ['connecting'], reconnect: ['connecting'], wake: ['connecting'], close: ['closed'], 'next timer': [], 'hidden 5 s, then start': ['suspended'] },
  'waiting-login': {
    start: ['connecting', 'waiting-login'],
    reconnect: ['connecting', 'waiting-login'],
    wake: ['connecting', 'waiting-login'],
    close: ['closed'],
    'next timer': ['connecting', 'waiting-login'],
    'hidden 5 s, then the next timer': ['suspended'],
  },
  backoff: {
    start: ['connecting'],
    reconnect: ['connecting'],
    wake: ['connecting'],
    close: ['closed'],
    'next timer': ['connecting'],
    'hidden 5 s, then the next timer': ['suspended'],
  },
  suspended: {
    // Still hidden: the runtime's network is suspended, trying would only fail.
    start: ['suspended'],
    reconnect: ['suspended'],
    close: ['closed'],
    'next timer': [],
    'shown (visible, wake)': ['connecting'],
    // The network came back while the app is still hidden: nothing to try yet.
    wake: ['suspended'],
  },
  connecting: {
    start: [],
    reconnect: ['connecting'],
    wake: [],
    close: ['closed'],
    'next timer': ['backoff'],
    'socket open': ['authenticating'],
    'socket error': ['backoff'],
    'server close 1006': ['backoff'],
    'server close 4409 (final)': ['stopped'],
    'hidden 5 s, then the socket fails': ['suspended'],
  },
  authenticating: {
    start: [],
    reconnect: ['connecting'],
    wake: [],
    close: ['closed'],
    'next timer': ['backoff'],
    'socket error': ['backoff'],
    'server close 1006': ['backoff'],
    'server close 4409 (final)': ['stopped'],
    'close frame 4409 (final)': ['stopped'],
    'login accepted': ['online'],
    'login refused 401': ['backoff'],
    'any frame': [],
    'hidden 5 s, then the socket fails': ['suspended'],
  },
  online: {
    start: [],
    reconnect: ['connecting'],
    wake: ['awaiting-pong'],
    close: ['closed'],
    'next timer': ['awaiting-pong'],
    'socket error': ['backoff'],
    'server close 1006': ['backoff'],
    'server close 4409 (final)': ['stopped'],
    'close frame 4409 (final)': ['stopped'],
    'any frame': [],
    'hidden 5 s, then the socket fails': ['suspended'],
    'hidden 5 s, then kicked': ['stopped'],
  },
  'awaiting-pong': {
    start: [],
    reconnect: ['connecting'],
    wake: [],
    close: ['closed'],
    'next timer': ['backoff'],
    'socket error': ['backoff'],
    'server close 1006': ['backoff'],
    'server close 4409 (final)': ['stopped'],
    // Any frame is a sign of life first.
    'close frame 4409 (final)': ['online', 'stopped'],
    'any frame': ['online'],
    'hidden 5 s, then the next timer': ['suspended'],
  },
  closed: { start: [], reconnect: [], wake: [], close: [], 'next timer': [] },
}

beforeEach(() => vi.useFakeTimers())
afterEach(() => {
  vi.useRealTimers()
})

describe('the connection state machine', () => {
  it('has a table entry for every state, and every target is a state', () => {
    const states = Object.keys(expected) as State[]
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...states].sort())
    for (const targets of Object.values(TRANSITIONS)) for (const target of targets) expect(states).toContain(target)
  })

  it('refuses, in development builds, a transition the table does not list', () => {
    const { connection, entered } = setup()
    expect(() => connection.enter_('online')).toThrow('illegal transition stopped -> online')
    expect(entered).toEqual([])
    expect(connection.state_).toBe('stopped')
  })

  for (const [from, outcomes] of Object.entries(expected) as Array<[State, Record<string, State[]>]>) {
    describe(`from ${from}`, () => {
      for (const [event, next] of Object.entries(outcomes)) {
        it(`${event} -> ${next.join(' -> ') || 'stays'}`, async () => {
          const s = setup(from === 'waiting-login' ? { login: () => null } : {})
          if (from === 'waiting-login') {
            s.connection.start_()
            await flush()
          }
          await reach[from](s)
          expect(s.state()).toBe(from)
          const before = s.entered.length
          await events[event](s)
          await flush()
          expect(s.entered.slice(before)).toEqual(next)
          // What the attempts read of the machine follows every change.
          expect(s.connection.state_).toBe(s.state())
          expect(s.connection.attempt_ !== undefined).toBe(WITH_AN_ATTEMPT.includes(s.state()))
          // Every state entered was allowed from the one before (enter throws otherwise, and a
          // throw inside a socket callback would have failed the event above).
          s.connection.close_()
          expect(vi.getTimerCount()).toBe(0)
        })
      }
    })
  }

  it('shows its state and attempt as plain fields, not getters (every frame reads both)', () => {
    const { connection } = setup()
    for (const field of ['state_', 'attempt_'] as const) expect(Object.getOwnPropertyDescriptor(connection, field)).toHaveProperty('value')
  })

  it('every transition in the table is taken by some event above', () => {
    const taken = new Set<string>()
    for (const [from, outcomes] of Object.entries(expected)) {
      for (const next of Object.values(outcomes)) {
        let previous = from
        for (const state of next) {
          taken.add(`${previous}->${state}`)
          previous = state
        }
      }
    }
    // Reached by recipes rather than single events: starting, and the login-less path.
    for (const recipe of ['stopped->connecting', 'connecting->online', 'connecting->waiting-login', 'online->online', 'authenticating->stopped', 'connecting->stopped']) {
      taken.add(recipe)
    }
    const table = Object.entries(TRANSITIONS).flatMap(([from, targets]) => targets.map((to) => `${from}->${to}`))
    expect(table.filter((transition) => !taken.has(transition))).toEqual([])
  })

})
