// The customer-service server: mp-socket's reference server, plus the customer-service chat.
// - Customers (`user:<openid>`, the uni-app) and agents (`agent:<name>`, the browser page) connect
//   with their token in the URL: `ws://…/ws?u=user:o1&token=…`, as the chat's original clients do.
// - A customer's message goes to every agent through the channel `inbox`, which only agents may
//   follow; it is kept in the channel's history, so an agent who was offline gets it on return.
// - An agent's reply goes to the customer's own stream (`to`), and to `inbox` so that every agent
//   sees the conversation move on.
// - Customers follow `customers`, listed in its presence; agents watch it, to see who is online.
// - Unread counts per customer live here (an agent opening a conversation marks it read, for every
//   agent); the history of each conversation too (in memory: use your database).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ReplyError, createServer, signToken } from '../server/dist/index.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const isCustomer = (user) => user.startsWith('user:')
const isAgent = (user) => user.startsWith('agent:')

/**
 * @param {{ secret: string, port?: number, redisUrl?: string, customerApp?: string,
 *   log?: (...args: unknown[]) => void }} options `customerApp`: the built uni-app (H5) to serve at /app/
 */
export function createServiceServer({ secret, port = 0, redisUrl, customerApp, log }) {
  /** customer → [{ id, from, to, text, at }] */
  const conversations = new Map()
  /** customer → messages no agent has read yet */
  const unread = new Map()
  let lastId = 0

  function record(customer, message) {
    const entry = { id: ++lastId, at: Date.now(), ...message }
    const list = conversations.get(customer) || []
    list.push(entry)
    conversations.set(customer, list.slice(-200))
    return entry
  }
  const text = (data) => {
    const value = data && typeof data.text === 'string' ? data.text.trim() : ''
    if (!value || value.length > 2000) throw new ReplyError(400, 'text: 1 to 2000 characters')
    return value
  }
  const customerOf = (data) => {
    const customer = data && data.customer
    if (typeof customer !== 'string' || !isCustomer(customer)) throw new ReplyError(400, 'customer: user:<openid>')
    return customer
  }
  const agentsOnly = (user) => {
    if (!isAgent(user)) throw new ReplyError(403, 'agents only')
  }

  const agentPage = readFileSync(join(here, 'agent/index.html'))
  const sdk = readFileSync(join(here, '../../dist/mp-socket.global.js'))
  const send = (response, type, body, status = 200) => {
    response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
    response.end(body)
  }
  const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css' }

  const server = createServer({
    host: '127.0.0.1',
    port,
    secret,
    redisUrl,
    log,
    // Offline agents come back within a working day, not five minutes.
    history: { size: 1000, ttl: 24 * 3600 },
    authorize: (channel, { user }) => {
      if (channel === 'inbox') return isAgent(user)
      // Customers are listed but see nothing of each other; agents see them without being listed.
      if (channel === 'customers') return isAgent(user) ? { presence: 'watch' } : isCustomer(user) && { presence: 'member' }
      return false
    },
    routes(request, response) {
      const url = new URL(request.url, 'http://localhost')
      if (request.method !== 'GET') return false
      if (url.pathname === '/' || url.pathname === '/agent') return send(response, 'text/html; charset=utf-8', agentPage), true
      if (url.pathname === '/mp-socket.js') return send(response, 'text/javascript; charset=utf-8', sdk), true
      if (url.pathname === '/token') {
        // Demo only: your login API signs a token for the user it has authenticated (the original chat: after wx.login).
        const u = url.searchParams.get('u') || ''
        if (!/^(user|agent):\w{1,64}$/.test(u)) return send(response, 'application/json', '{"error":"u: user:<openid> or agent:<name>"}', 400), true
        return send(response, 'application/json', JSON.stringify({ u, token: signToken(secret, u) })), true
      }
      if (customerApp && url.pathname.startsWith('/app/')) {
        const path = url.pathname === '/app/' ? 'index.html' : url.pathname.slice('/app/'.length)
        const file = join(customerApp, path)
        if (!file.startsWith(customerApp)) return false
        try {
          return send(response, TYPES[file.slice(file.lastIndexOf('.'))] || 'application/octet-stream', readFileSync(file)), true
        } catch {
          return false
        }
      }
      return false
    },
  })

  // A customer writes: every agent gets it through `inbox`.
  server.handle('chat_send', async (data, { user, push }) => {
    if (!isCustomer(user)) throw new ReplyError(403, 'customers only')
    const message = record(user, { from: user, to: 'agents', text: text(data) })
    unread.set(user, (unread.get(user) || 0) + 1)
    await push({ event: 'chat', msg: { ...message, customer: user, unread: unread.get(user) }, channel: 'inbox' })
    return { id: message.id }
  })

  // An agent answers: the customer gets it on their own stream, the other agents through `inbox`.
  server.handle('chat_reply', async (data, { user, push }) => {
    agentsOnly(user)
    const customer = customerOf(data && { customer: data.to })
    const message = record(customer, { from: user, to: customer, text: text(data) })
    await push({ event: 'chat', msg: message, to: customer })
    await push({ event: 'chat', msg: { ...message, customer, unread: unread.get(customer) || 0 }, channel: 'inbox' })
    return { id: message.id }
  })

  // An agent opened a conversation: read, for every agent.
  server.handle('chat_read', async (data, { user, push }) => {
    agentsOnly(user)
    const customer = customerOf(data)
    unread.set(customer, 0)
    await push({ event: 'read', msg: { customer, by: user }, channel: 'inbox' })
    return 'read'
  })

  // A conversation's messages: a customer's own, or any for an agent.
  server.handle('chat_history', (data, { user }) => {
    const customer = isAgent(user) ? customerOf(data) : user
    return conversations.get(customer) || []
  })

  // Every conversation with its unread count and last message: what an agent loads when it could
  // not recover what it missed (first load, history expired).
  server.handle('conversations', (_data, { user }) => {
    agentsOnly(user)
    return [...conversations].map(([customer, list]) => ({ customer, unread: unread.get(customer) || 0, last: list[list.length - 1] }))
  })

  return server
}
