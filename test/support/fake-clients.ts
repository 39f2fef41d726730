import { afterEach, beforeEach, expect, vi } from 'vitest'
import { createClient } from '../../src/client'
import type { SocketOptions } from '../../src/options'
import type { MpSocket, Status } from '../../src/types'
import { fakeAdapter, flush } from './fake-adapter'

export const TOKEN = 'secret-token-123'

/**
 * Clients over the fake adapter, under fake timers: each test's clients are closed after it, and
 * the test fails if any timer is left behind.
 */
export function useFakeClients() {
  let clients: MpSocket[] = []

  beforeEach(() => {
    vi.useFakeTimers()
  })

  afterEach(() => {
    for (const client of clients) client.close()
    clients = []
    expect(vi.getTimerCount()).toBe(0)
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  /** A client logging in as `user:6`, and every status change it reports: `[status, previous, error]`. */
  function setup(options: Partial<SocketOptions> = {}, fakeOptions: Parameters<typeof fakeAdapter>[0] = {}) {
    const fake = fakeAdapter(fakeOptions)
    const statuses: Array<[Status, Status, Error | undefined]> = []
    const client = createClient({ url: 'wss://example.test/ws', login: () => ({ u: 'user:6', token: TOKEN }), ...options }, fake.adapter)
    client.onStatus((status, previous, error) => statuses.push([status, previous, error]))
    clients.push(client)
    return { fake, client, statuses }
  }

  /** Takes the client online: (starts it,) opens the socket, answers the login if one was sent. */
  async function goOnline(client: MpSocket, fake: ReturnType<typeof fakeAdapter>, start = true) {
    if (start) client.connectionLoop()
    await flush()
    fake.last.open()
    if (fake.last.lastRequest('login')) fake.last.reply('login', 'welcome')
    await flush()
    expect(client.status).toBe('online')
  }

  return { setup, goOnline }
}
