import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { ClosedError, createSocket, web } from 'mp-socket'
import { launchChromium, openPage as openPageIn } from '../support/browser'
import { startProxy } from '../support/processes'
import { startCustomerService } from '../support/agent-page'

// The exactly-once section of docs/guides/customer-service.md: the agent's page in Chromium, the
// customer as the SDK in Node (the uni-app's calls, without its build), the example's server.

let browser: Browser
const cleanups: Array<() => unknown> = []
beforeAll(async () => {
  browser = await launchChromium()
}, 180_000)
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const startExample = () => startCustomerService(cleanups)

const openPage = (url: string, errors: string[]) => openPageIn(browser, cleanups, url, errors)

describe('examples/customer-service, exactly once', () => {
  it('the reply of a message is lost with the network, the agent page shows it once', async () => {
    const { http, port } = await startExample()
    const errors: string[] = []
    const agent = await openPage(`${http}/agent?agent=agent:bea`, errors)
    await agent.waitForFunction(() => window.service.subscribed.length === 1 && window.service.reloads === 1)

    // The customer's app as the guide sets it up; its network goes through the gate.
    const gate = await startProxy(port)
    cleanups.push(() => gate.close())
    const { token } = (await (await fetch(`${http}/token?u=user:o5`)).json()) as { token: string }
    const customer = createSocket({
      url: gate.url,
      runtime: web(WebSocket),
      // The token in a login request, not in the URL: the login reply says the server's dedupe window.
      login: () => ({ u: 'user:o5', token }),
      reconnect: { minDelay: 50 },
    })
    cleanups.push(() => customer.close())
    customer.connectionLoop()
    await customer.ready()

    // The message reaches the server and the agents; its reply never reaches the phone; the network drops.
    gate.muteServer()
    const sent = customer.request('chat_send', { text: 'Where is my order?' })
    await agent.waitForFunction(() => window.service.received.some((message) => message.text === 'Where is my order?'))
    gate.cut()
    gate.restore()

    // Back online, the client writes it again with the same id: the server answers the stored reply.
    const { id } = (await sent) as { id: number }
    // The inbox is in order: a second run's push would come before this one.
    await customer.request('chat_send', { text: 'Thanks' })
    await agent.waitForFunction(() => window.service.received.some((message) => message.text === 'Thanks'))
    const received = await agent.evaluate(() => window.service.received.filter((message) => message.customer === 'user:o5').map((message) => message.text))
    expect(received).toEqual(['Where is my order?', 'Thanks'])
    await agent.waitForSelector('[data-customer="user:o5"] .badge[data-count="2"]')
    const history = (await customer.request('chat_history')) as Array<{ id: number; text: string }>
    expect(history.map((message) => [message.id, message.text])).toEqual([
      [id, 'Where is my order?'],
      [id + 1, 'Thanks'],
    ])
    expect(errors).toEqual([])
  }, 60_000)

  it('with the token in the URL (no login reply, so no dedupe window) the same loss rejects with ClosedError, and nothing is resent', async () => {
    const { http, port } = await startExample()
    const errors: string[] = []
    const agent = await openPage(`${http}/agent?agent=agent:cid`, errors)
    await agent.waitForFunction(() => window.service.subscribed.length === 1)
    const gate = await startProxy(port)
    cleanups.push(() => gate.close())
    const { token } = (await (await fetch(`${http}/token?u=user:o6`)).json()) as { token: string }
    const customer = createSocket({ url: `${gate.url}?u=user:o6&token=${token}`, runtime: web(WebSocket), reconnect: { minDelay: 50 } })
    cleanups.push(() => customer.close())
    customer.connectionLoop()
    await customer.ready()
    gate.muteServer()
    const sent = customer.request('chat_send', { text: 'Hello?' })
    await agent.waitForFunction(() => window.service.received.some((message) => message.text === 'Hello?'))
    gate.cut()
    gate.restore()
    await expect(sent).rejects.toBeInstanceOf(ClosedError)
    await customer.ready()
    await customer.request('chat_send', { text: 'Anyone?' })
    await agent.waitForFunction(() => window.service.received.some((message) => message.text === 'Anyone?'))
    const received = await agent.evaluate(() => window.service.received.filter((message) => message.customer === 'user:o6').map((message) => message.text))
    expect(received).toEqual(['Hello?', 'Anyone?'])
    expect(errors).toEqual([])
  }, 60_000)
})

