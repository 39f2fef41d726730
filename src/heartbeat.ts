/**
 * Calls `beat` every `interval` ms while started. `now()` beats at once and restarts the count,
 * for when the app comes back to the foreground and the connection may have died unseen.
 * @internal
 */
export function createHeartbeat(interval: number, beat: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined

  const stop = () => clearTimeout(timer)
  const start = () => {
    stop()
    timer = setTimeout(now, interval)
  }
  const now = () => {
    start()
    beat()
  }
  return { start, stop, now }
}
