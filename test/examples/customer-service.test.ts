import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createSocket, web } from 'mp-socket'
import { buildCustomer } from '../../examples/customer-service/build-customer.mjs'
import { ARTIFACTS, launchChromium, openPage as openPageIn } from '../support/browser'
import { eventually, startProxy } from '../support/processes'
import { startCustomerService } from '../support/agent-page'

// examples/customer-service (seed 004): the customer's uni-app (built by uni-app's toolchain for
// H5) and the agent's page, both in Chromium; tokens in the URL; the customer's unread badge and
// chat page handlers side by side; messages sent while the agent was offline arrive on return.

let browser: Browser
const cleanups: Array<() => unknown> = []
beforeAll(async () => {
  buildCustomer()
  browser = await launchChromium()
}, 180_000)
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const startExample = () => startCustomerService(cleanups)

const openPage = (url: string, errors: string[], logs?: string[]) => openPageIn(browser, cleanups, url, errors, logs)

const badgeOf = (agent: Page, customer: string) => agent.getAttribute(`[data-customer="${customer}"] .badge`, 'data-count')

describe('examples/customer-service', () => {
  it('customer and agent chat; the badge handler outlives the chat page; the agent gets on return what was sent while it was offline', async () => {
    const { http, port, customerUrl } = await startExample()
    const gate = await startProxy(port)
    cleanups.push(() => gate.close())
    const errors: string[] = []

    // The agent's socket goes through the gate, so the test can take the agent offline.
    const agent = await openPage(`${http}/agent?agent=agent:amy&ws=${encodeURIComponent(gate.url)}`, errors)
    await agent.waitForSelector('#status[data-status=online]')
    await agent.waitForFunction(() => window.service.subscribed.length === 1 && window.service.reloads === 1)

    // The customer's uni-app: the Service tab, then the chat page.
    const logs: string[] = []
    const customer = await openPage(`${customerUrl}#/pages/service/service`, errors, logs)
    // Its app follows `customers`: the agent sees it online, from the channel's presence.
    await agent.waitForSelector('[data-customer="user:o1"].online')
    expect(await agent.textContent('#online')).toBe('1')
    await customer.click('.open-chat')
    await customer.waitForSelector('.composer')
    await customer.fill('.text input', 'My parcel has not arrived')
    await customer.click('.send')
    await customer.waitForFunction(() => [...document.querySelectorAll('.line.mine')].some((line) => line.textContent === 'My parcel has not arrived'))

    // The agent sees it, unread, until it opens the conversation.
    await agent.waitForSelector('[data-customer="user:o1"] .badge[data-count="1"]')
    await agent.click('[data-customer="user:o1"]')
    await agent.waitForSelector('[data-customer="user:o1"] .badge[data-count="0"]', { state: 'attached' })
    expect(await agent.textContent('#lines')).toContain('My parcel has not arrived')
    await agent.fill('#text', 'Let me check, one moment')
    await agent.click('#reply button')
    await customer.waitForFunction(() => [...document.querySelectorAll('.line.theirs')].some((line) => line.textContent === 'Let me check, one moment'))

    // The customer leaves the chat page: off() removes its handler, the badge handler stays.
    await customer.click('.back')
    await customer.waitForSelector('.open-chat')
    await agent.fill('#text', 'Found it: it arrives tomorrow')
    await agent.click('#reply button')
    await customer.waitForSelector('.uni-tabbar__badge')
    expect(await customer.textContent('.uni-tabbar__badge')).toBe('1')
    await customer.waitForFunction(() => document.querySelector('.unread')?.textContent === 'Unread: 1')
    expect(logs.filter((line) => line.startsWith('chat page got') || line.startsWith('badge'))).toEqual([
      'chat page got Let me check, one moment',
      'badge 1',
    ])
    await customer.screenshot({ path: join(ARTIFACTS, 'customer-service-customer.png') })

    // The agent goes offline; another customer writes twice meanwhile.
    gate.shut()
    await agent.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-status') !== 'online')
    const login = (await (await fetch(`${http}/token?u=user:o2`)).json()) as { u: string; token: string }
    const other = createSocket({ url: `ws://127.0.0.1:${port}/ws?u=user:o2&token=${login.token}`, runtime: web(WebSocket) })
    cleanups.push(() => other.close())
    other.connectionLoop()
    await other.request('chat_send', { text: 'Hello?' })
    await other.request('chat_send', { text: 'Is anyone there?' })

    // Back: the inbox subscription recovers both, in order, once; no reload was needed.
    gate.open()
    await agent.waitForFunction(() => window.service.subscribed.length === 2, undefined, { timeout: 20_000 })
    await agent.waitForSelector('[data-customer="user:o2"] .badge[data-count="2"]')
    const service = await agent.evaluate(() => ({ received: window.service.received, subscribed: window.service.subscribed, reloads: window.service.reloads }))
    expect(service.subscribed).toEqual([false, true])
    expect(service.reloads).toBe(1)
    expect(service.received.filter((message) => message.customer === 'user:o2').map((message) => message.text)).toEqual(['Hello?', 'Is anyone there?'])
    expect(await badgeOf(agent, 'user:o1')).toBe('0')
    await agent.screenshot({ path: join(ARTIFACTS, 'customer-service-agent.png') })

    // Another agent opens the page: with no conversation open, the last messages of `inbox`, from
    // its history; and the customer online. The customer's app closes: offline for both agents.
    const second = await openPage(`${http}/agent?agent=agent:bob`, errors)
    await second.waitForFunction(() => window.service.latest().length === 5)
    const latest = await second.evaluate(() => window.service.latest().map((message) => message.text))
    expect(latest).toEqual(['My parcel has not arrived', 'Let me check, one moment', 'Found it: it arrives tomorrow', 'Hello?', 'Is anyone there?'])
    expect(await second.textContent('#lines[data-view=latest]')).toContain('user:o2: Is anyone there?')
    await second.waitForSelector('[data-customer="user:o1"].online')
    await customer.context().close()
    for (const page of [agent, second]) await page.waitForFunction(() => document.querySelector('#online')?.textContent === '0')
    expect(await agent.$('[data-customer="user:o1"].online')).toBeNull()
    expect(errors).toEqual([])
  }, 120_000)

  it('refuses what a role may not do: customers cannot follow the inbox or reply, a bad token in the URL is final', async () => {
    const { http, port } = await startExample()
    const login = (await (await fetch(`${http}/token?u=user:o3`)).json()) as { u: string; token: string }
    const customer = createSocket({ url: `ws://127.0.0.1:${port}/ws?u=user:o3&token=${login.token}`, runtime: web(WebSocket) })
    cleanups.push(() => customer.close())
    const inbox = customer.subscribe('inbox')
    customer.connectionLoop()
    await expect(inbox.ready()).rejects.toMatchObject({ name: 'ServerError', code: 403 })
    await expect(customer.request('chat_reply', { to: 'user:o1', text: 'hi' })).rejects.toMatchObject({ code: 403 })
    await expect(customer.request('chat_send', { text: '   ' })).rejects.toMatchObject({ code: 400 })

    const forged = createSocket({ url: `ws://127.0.0.1:${port}/ws?u=agent:amy&token=${login.token}`, runtime: web(WebSocket) })
    cleanups.push(() => forged.close())
    forged.connectionLoop()
    // No login request with a token in the URL: the client is online once the socket opens, then
    // the server's close frame stops it.
    await eventually(() => expect(forged.status).toBe('idle'))
    await expect(forged.ready()).rejects.toMatchObject({ name: 'AuthError', code: 4403 })
  })
})

