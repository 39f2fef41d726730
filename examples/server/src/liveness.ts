import { prepareFrame } from './prepared'
import type { Sessions } from './sessions'
import { everySlice, sliceOf } from './slices'

/** A ping round is spread over this many slices of `pingInterval`. */
const PING_SLICES = 20

/**
 * Pings every socket each `pingInterval` (unless it was heard from within half of it) and cuts off
 * those silent for `idleTimeout`; returns the function that stops both timers. Each socket is
 * pinged in its own slice of the interval (slices.ts), chosen by its random id.
 */
export function startLiveness(sessions: Sessions, options: { pingInterval: number; idleTimeout: number; log: (...args: unknown[]) => void }) {
  const { pingInterval, idleTimeout, log } = options
  const stopPinger = everySlice(pingInterval, PING_SLICES, (slice) => {
    const ping = prepareFrame(JSON.stringify({ type: 'ping', uuid: Date.now() / 1000 }))
    const now = Date.now()
    for (const session of sessions.all()) {
      // A socket heard from within half an interval is alive, and its traffic keeps NATs open.
      if (now - session.lastSeen >= pingInterval / 2 && sliceOf(session.id, PING_SLICES) === slice) session.send(ping)
    }
  })
  const reaper = setInterval(
    () => {
      const now = Date.now()
      for (const session of sessions.all()) {
        if (now - session.lastSeen > idleTimeout) {
          log('idle for', idleTimeout, 'ms, cut off:', session.id)
          session.socket.terminate()
        }
      }
    },
    Math.max(10, Math.min(10_000, idleTimeout / 6)),
  )
  return () => {
    stopPinger()
    clearInterval(reaper)
  }
}
