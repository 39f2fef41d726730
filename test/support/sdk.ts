import { WebSocket } from 'ws'
import { signToken } from '../../examples/server/src/token'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import type { MpSocket } from '../../src/types'
import { SECRET } from './processes'

/**
 * An SDK client of `user` on a reference server process of processes.ts, reconnecting fast and
 * without heartbeats, its connection loop running; its close goes onto `cleanups`.
 */
export function sdk(url: string, user: string, cleanups: Array<() => unknown>): MpSocket {
  const socket = createSocket({
    url,
    runtime: web(WebSocket),
    login: () => ({ u: user, token: signToken(SECRET, user) }),
    reconnect: { minDelay: 50, maxDelay: 200 },
    heartbeat: false,
  })
  cleanups.push(() => socket.close())
  socket.connectionLoop()
  return socket
}
