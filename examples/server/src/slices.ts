/**
 * Work done once per `period` for many items (a ping per socket, a presence refresh per user) is
 * spread over `count` slices of it: `visit(slice)` runs every `period / count` ms with the slices in
 * turn, and each item belongs to one slice. Doing all items at once sent a burst as large as a
 * broadcast every round, which delayed whatever else was being delivered then. Returns the stopper.
 */
export function everySlice(period: number, count: number, visit: (slice: number) => void, options: { unref?: boolean } = {}) {
  let slice = 0
  const timer = setInterval(
    () => {
      slice = (slice + 1) % count
      visit(slice)
    },
    Math.max(1, period / count),
  )
  if (options.unref) timer.unref()
  return () => clearInterval(timer)
}

/** The slice of `key` among `count`: the same on every call, spread evenly enough over names and ids. */
export function sliceOf(key: string, count: number) {
  let hash = 0
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0
  return Math.abs(hash) % count
}
