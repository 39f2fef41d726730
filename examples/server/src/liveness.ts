import type { Sessions } from './sessions'

/**
 * Pings every socket each `pingInterval` and cuts off those silent for `idleTimeout`; returns the
 * function that stops both timers.
 */
export function startLiveness(sessions: Sessions, options: { pingInterval: number; idleTimeout: number; log: (...args: unknown[]) => void }) {
  const { pingInterval, idleTimeout, log } = options
  const pinger = setInterval(() => {
    const ping = JSON.stringify({ type: 'ping', uuid: Date.now() / 1000 })
    for (const session of sessions.all()) session.send(ping)
  }, pingInterval)
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
