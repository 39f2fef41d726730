import type { Server } from 'node:http'
import type { WebSocketServer } from 'ws'
import { CloseCode } from './codes'
import type { Sessions } from './sessions'

/** Sockets that have not finished the closing handshake by then are cut, in ms. */
const CLOSE_GRACE = 1000
/**
 * Presence writes still unanswered by then are given up, in ms: Redis is gone or stuck, and the
 * entries expire by themselves within `presenceTtl`.
 */
const PRESENCE_GRACE = 3000

/**
 * Presence writes still on their way to Redis: a node that stops waits for them, so that the
 * other nodes stop counting its sockets at once instead of after `presenceTtl`.
 */
export class PresenceWrites {
  private readonly inFlight = new Set<Promise<unknown>>()

  track(write: Promise<unknown>) {
    const settled = write.then(
      () => undefined,
      () => undefined,
    )
    this.inFlight.add(settled)
    void settled.then(() => this.inFlight.delete(settled))
  }

  /** Resolves once every write so far is answered, or after `within` ms. */
  async settled(within: number) {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, within)))])
    clearTimeout(timer)
  }
}

export interface DrainContext {
  http: Server
  wss: WebSocketServer
  sessions: Sessions
  presence: PresenceWrites
  /** Writes that this node has no socket of `user` any more (0 in Redis). */
  clearPresence(user: string): Promise<void>
}

/**
 * Drains a node (SIGTERM, `close()`): it stops accepting connections first, so that clients told
 * to move cannot land on it again; every socket gets the close frame and 1012 (service restart),
 * so the client reconnects, behind a load balancer to another node, and recovers what it missed
 * from history; sockets still open after `CLOSE_GRACE` are cut. Then every presence entry of this
 * node is gone from Redis before the caller releases it.
 */
export async function drain(context: DrainContext) {
  const { http, wss, sessions, presence } = context
  const stopped = new Promise<void>((resolve) => http.close(() => resolve()))
  for (const session of sessions.all()) session.close(CloseCode.shutdown, 'server restarting')
  let cut: NodeJS.Timeout | undefined
  let giveUp: NodeJS.Timeout | undefined
  await new Promise<void>((resolve) => {
    // With `ws` tracking its clients, this waits until every socket is closed (and its close
    // handlers ran, which write presence).
    wss.close(() => resolve())
    cut = setTimeout(() => {
      for (const session of sessions.all()) session.socket.terminate()
    }, CLOSE_GRACE)
    giveUp = setTimeout(resolve, 2 * CLOSE_GRACE)
  })
  clearTimeout(cut)
  clearTimeout(giveUp)
  // Sockets whose close never came in time: their users are cleared here.
  for (const user of [...sessions.users()]) presence.track(context.clearPresence(user))
  await presence.settled(PRESENCE_GRACE)
  // HTTP keep-alive connections that went idle since `http.close()` would hold it until their
  // timeout; requests still running get `CLOSE_GRACE` to finish.
  http.closeIdleConnections()
  const cutHttp = setTimeout(() => http.closeAllConnections(), CLOSE_GRACE)
  await stopped
  clearTimeout(cutHttp)
}
