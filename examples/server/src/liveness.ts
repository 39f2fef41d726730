import type { Sessions } from './sessions'

/** A ping round is spread over this many slices of `pingInterval`. */
export const PING_SLICES = 20

/**
 * Pings every socket each `pingInterval` (unless it was heard from within half of it) and cuts off
 * those silent for `idleTimeout`; returns the function that stops both timers. Each socket is
 * pinged in its own slice of the interval: pinging all at once sent a burst of frames (and drew
 * one of pongs) as large as a broadcast every round, which delayed whatever else was being
 * delivered then.
 */
export function startLiveness(sessions: Sessions, options: { pingInterval: number; idleTimeout: number; log: (...args: unknown[]) => void }) {
  const { pingInterval, idleTimeout, log } = options
  let slice = 0
  const pinger = setInterval(
    () => {
      slice = (slice + 1) % PING_SLICES
      const ping = JSON.stringify({ type: 'ping', uuid: Date.now() / 1000 })
      const now = Date.now()
      for (const session of sessions.all()) {
        // A socket heard from within half an interval is alive, and its traffic keeps NATs open.
        if (session.pingSlice === slice && now - session.lastSeen >= pingInterval / 2) session.send(ping)
      }
    },
    Math.max(1, pingInterval / PING_SLICES),
  )
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
    clearInterval(pinger)
    clearInterval(reaper)
  }
}
