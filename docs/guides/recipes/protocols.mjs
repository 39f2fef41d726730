// The recipes of docs/guides/bring-your-own-backend.md, as run by test/examples/recipes.test.ts
// against backend.py (aiohttp).
import { parseJsonObject } from 'mp-socket'

// 1. A backend that never answers a ping, but sends often (ticks, positions): liveness from what
//    arrives. `ping: false` sends nothing; silence past interval + timeout drops the socket (4002)
//    and connects again. The protocol only names its bare messages.
export const tickProtocol = {
  decode(frame) {
    const message = parseJsonObject(frame)
    return message ? { kind: 'push', event: 'tick', message } : undefined
  },
  encodeRequest: (id, event, data) => JSON.stringify(data),
  encodeSend: (event, data) => JSON.stringify(data),
  encodePong: () => '{}',
}
export const quietHeartbeat = { ping: false, interval: 1000, timeout: 1000 }

// 2. A backend that never answers a login: the first message says who you are ({"user_id"}, as
//    a PHP live-location service takes it), then bare JSON. `encodeLogin` makes the login one-way: online once written.
export const firstMessageProtocol = {
  decode(frame) {
    const message = parseJsonObject(frame)
    return message ? { kind: 'push', event: 'location', message } : undefined
  },
  encodeRequest: (id, event, data) => JSON.stringify(data),
  encodeSend: (event, data) => JSON.stringify(data),
  encodePong: () => '{}',
  encodeLogin: (payload) => JSON.stringify(payload), // { user_id: 'TARGET_USER_ID' }
}

// 3. A backend with its own envelope and its own reply ids: map its fields to mp-socket's. Its
//    "call" carries the request id as `ref`, its "result" echoes it; its error codes are strings;
//    login is its `auth` call, answered like any call, and `authFailure` says which refusal is final.
export const envelopeProtocol = {
  decode(frame) {
    const message = parseJsonObject(frame)
    if (!message) return undefined
    if (message.op === 'result' && typeof message.ref === 'string') {
      const error = message.error || {}
      return message.ok
        ? { kind: 'reply', id: message.ref, ok: true, body: message.value }
        : { kind: 'reply', id: message.ref, ok: false, code: error.code, body: error.message }
    }
    if (message.op === 'event' && typeof message.name === 'string') return { kind: 'push', event: message.name, message: message.body }
    return undefined
  },
  encodeRequest: (id, event, data) =>
    // mp-socket's login and heartbeat requests are named 'login' and 'ping': this backend calls them 'auth' and 'ping'.
    JSON.stringify({ op: 'call', ref: id, method: event === 'login' ? 'auth' : event, args: data }),
  encodeSend: (event, data) => JSON.stringify({ op: 'call', ref: null, method: event, args: data }),
  encodePong: () => '{}',
  authFailure: (code) => (code === 'denied' ? 'rejected' : undefined),
}
