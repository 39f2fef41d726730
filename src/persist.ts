import type { Adapter, PositionStorage } from './adapters/types'
import { MpSocketError } from './errors'
import type { Position } from './protocol'

/** Stored per user under this prefix. */
const KEY = 'mp-socket:positions:'
/** At most this many streams are stored per user: the user's own pushes and the channels updated last. */
const MAX_STREAMS = 100
/** Positions are written at most once per this many ms (and at once when the app is hidden or closed). */
const THROTTLE = 1000

/** The user `payload` logs in. @internal */
export const userOf = (payload: unknown, storage?: PositionStorage): string | undefined =>
  storage && storage.user ? storage.user(payload) : payload && typeof payload === 'object' ? ((payload as { u?: unknown }).u as string) : undefined

/**
 * The positions of the user logged in (`positions`, shared with subscriptions.ts), kept apart from
 * every other user's and, with a storage, read back after a relaunch. A storage that throws or
 * holds something else never breaks the client: unreadable values are ignored (so the next login
 * says `recovered: false`), a failed write (WeChat refuses past 10 MB) is logged.
 * @internal
 */
export function createPersistence(positions: Map<string, Position>, storage: PositionStorage | undefined, log: (...args: unknown[]) => void) {
  /** Whose positions `positions` holds; `undefined`: not known (a payload without a user). */
  let user: string | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  function save() {
    timer = undefined
    if (!storage || user === undefined) return
    const kept: Record<string, [string, number]> = {}
    const streams = [...positions.keys()]
    for (const stream of streams.slice(Math.max(0, streams.length - MAX_STREAMS))) {
      const { epoch, offset } = positions.get(stream)!
      kept[stream] = [epoch, offset]
    }
    try {
      storage.set(KEY + user, JSON.stringify(kept))
    } catch (error) {
      log('persist', error)
    }
  }

  function load(key: string) {
    let stored: unknown
    try {
      stored = JSON.parse(String(storage!.get(key)))
    } catch {
      return
    }
    if (!stored || typeof stored !== 'object') return
    for (const stream in stored) {
      const kept = (stored as Record<string, unknown>)[stream]
      if (Array.isArray(kept) && typeof kept[0] === 'string' && typeof kept[1] === 'number') positions.set(stream, { epoch: kept[0], offset: kept[1] })
    }
  }

  const persistence = {
    /** Logging in with `payload`: another user's positions are forgotten, a stored user's read back. */
    login(payload: unknown) {
      const next = userOf(payload, storage)
      if (next === user && next !== undefined) return
      persistence.flush()
      user = next
      if (next === undefined) return
      positions.clear()
      if (storage) load(KEY + next)
    },
    /** A position moved: written within `THROTTLE` ms. */
    moved() {
      if (storage && !timer) timer = setTimeout(save, THROTTLE)
    },
    /** Writes what moved now (the app is going to the background, or the client is closed). */
    flush() {
      if (!timer) return
      clearTimeout(timer)
      save()
    },
  }
  return persistence
}

/** The storage the `persist` option asks for: `true`, the runtime's (an error where there is none). @internal */
export function storageFor(persist: boolean | PositionStorage | undefined, adapter: Adapter): PositionStorage | undefined {
  if (persist !== true) return persist || undefined
  if (!adapter.storage) throw new MpSocketError('persist: true: this runtime has no storage; pass persist: { get, set }')
  return adapter.storage
}
