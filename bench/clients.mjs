// Many SDK clients in one process, for the fan-out, storm and memory measurements.
import { WebSocket } from 'ws'
import { createSocket, web } from '../dist/index.mjs'
import { signToken } from '../examples/server/dist/index.mjs'

export const PUSH_SECRET = 'bench'

export function sdkClient(port, user, options = {}) {
  const socket = createSocket({
    url: `ws://127.0.0.1:${port}/ws`,
    runtime: web(WebSocket),
    login: () => ({ u: user, token: signToken('bench', user) }),
    heartbeat: false,
    requestTimeout: 60_000,
    ...options,
  })
  socket.connectionLoop()
  return socket
}

export async function push(port, body) {
  const response = await fetch(`http://127.0.0.1:${port}/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PUSH_SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return response.json()
}
